package state

import (
	"encoding/binary"
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// The allocation table's indexes are typed rather than go-memdb's
// reflection-based field indexers: every placement and every client report
// writes them, and with a million allocations reflection was a visible part
// of applying a plan. Keys are built at their exact size because the radix
// tree keeps them for as long as the allocation lives.

// allocIDIndexer indexes allocations by ID: "ID\x00".
type allocIDIndexer struct{}

func (allocIDIndexer) FromObject(obj any) (bool, []byte, error) {
	a, err := asAlloc(obj)
	if err != nil || a.ID == "" {
		return false, nil, err
	}
	return true, terminated(a.ID), nil
}

func (allocIDIndexer) FromArgs(args ...any) ([]byte, error) {
	id, err := stringArg("allocation ID", args, 0, 1)
	if err != nil {
		return nil, err
	}
	return terminated(id), nil
}

// allocJobIndexer indexes allocations by job: "namespace\x00jobID\x00".
type allocJobIndexer struct{}

func (allocJobIndexer) FromObject(obj any) (bool, []byte, error) {
	a, err := asAlloc(obj)
	if err != nil || a.JobID == "" {
		return false, nil, err
	}
	return true, terminated(a.Namespace, a.JobID), nil
}

func (allocJobIndexer) FromArgs(args ...any) ([]byte, error) {
	ns, err := stringArg("namespace", args, 0, 2)
	if err != nil {
		return nil, err
	}
	job, err := stringArg("job ID", args, 1, 2)
	if err != nil {
		return nil, err
	}
	return terminated(ns, job), nil
}

// allocNodeIndexer indexes allocations by node and then by the index of
// their latest server-side change: "nodeID\x00" + 8 bytes big-endian
// AllocModifyIndex. A prefix scan ("node_prefix", nodeID) lists a node's
// allocations; a lower-bound scan from (nodeID, index) lists only those
// changed since, which is what a client's allocation watch needs.
type allocNodeIndexer struct{}

func (allocNodeIndexer) FromObject(obj any) (bool, []byte, error) {
	a, err := asAlloc(obj)
	if err != nil || a.NodeID == "" {
		return false, nil, err
	}
	return true, nodeIndexKey(a.NodeID, a.AllocModifyIndex), nil
}

func (allocNodeIndexer) FromArgs(args ...any) ([]byte, error) {
	node, err := stringArg("node ID", args, 0, 2)
	if err != nil {
		return nil, err
	}
	since, ok := args[1].(uint64)
	if !ok {
		return nil, fmt.Errorf("index argument must be a uint64, not %T", args[1])
	}
	return nodeIndexKey(node, since), nil
}

// PrefixFromArgs takes the node ID alone and matches it exactly.
func (allocNodeIndexer) PrefixFromArgs(args ...any) ([]byte, error) {
	node, err := stringArg("node ID", args, 0, 1)
	if err != nil {
		return nil, err
	}
	return terminated(node), nil
}

func nodeIndexKey(node string, index uint64) []byte {
	k := make([]byte, len(node)+1, len(node)+9)
	copy(k, node)
	return binary.BigEndian.AppendUint64(k, index)
}

// terminated joins strings, each followed by a NUL, into one key.
func terminated(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
		k = append(k, 0)
	}
	return k
}

func asAlloc(obj any) (*structs.Allocation, error) {
	a, ok := obj.(*structs.Allocation)
	if !ok {
		return nil, fmt.Errorf("allocation index: got %T, not an allocation", obj)
	}
	return a, nil
}

func stringArg(what string, args []any, i, want int) (string, error) {
	if len(args) != want {
		return "", fmt.Errorf("%s lookup takes %d argument(s), got %d", what, want, len(args))
	}
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string, not %T", what, args[i])
	}
	return s, nil
}
