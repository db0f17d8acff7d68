package server

import (
	"sort"
	"strings"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

func namespaceOf(ns string) string {
	if ns == "" {
		return structs.DefaultNamespace
	}
	return ns
}

func hasPrefix(id, prefix string) bool { return strings.HasPrefix(id, prefix) }

// maxTableIndex is the largest Raft index among tables.
func maxTableIndex(st *state.StateStore, tables ...string) (uint64, error) {
	var m uint64
	for _, t := range tables {
		idx, err := st.Index(t)
		if err != nil {
			return 0, err
		}
		m = maxIndex(m, idx)
	}
	return m, nil
}

// sortAllocStubs orders allocations newest first, then by name.
func sortAllocStubs(a []*structs.AllocListStub) {
	sort.Slice(a, func(i, j int) bool {
		if a[i].CreateIndex != a[j].CreateIndex {
			return a[i].CreateIndex > a[j].CreateIndex
		}
		return a[i].Name < a[j].Name
	})
}

// sortEvals orders evaluations newest first.
func sortEvals(e []*structs.Evaluation) {
	sort.Slice(e, func(i, j int) bool {
		if e[i].CreateIndex != e[j].CreateIndex {
			return e[i].CreateIndex > e[j].CreateIndex
		}
		return e[i].ID < e[j].ID
	})
}
