package fsm

import (
	"unique"

	"github.com/appmesh/appmesh/structs"
)

// Every decoded Raft entry gets fresh copies of its strings, and the
// allocations of a plan repeat the same few: their node, job, namespace,
// group, evaluation and statuses. The state store keeps
// allocations for their whole life, so those repeats are interned before
// they are stored. Map keys (task names) are left alone: rebuilding a map
// to intern one short key allocated more than it saved.

func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

// internAlloc interns the shared strings of a decoded allocation. Its own
// ID and name are unique and left alone.
func internAlloc(a *structs.Allocation) {
	a.Namespace = intern(a.Namespace)
	a.EvalID = intern(a.EvalID)
	a.NodeID = intern(a.NodeID)
	a.NodeName = intern(a.NodeName)
	a.JobID = intern(a.JobID)
	a.TaskGroup = intern(a.TaskGroup)
	a.DesiredStatus = intern(a.DesiredStatus)
	a.ClientStatus = intern(a.ClientStatus)
}

// internUpdate interns the strings of a client's status report.
func internUpdate(u *structs.AllocStatusUpdate) {
	u.ClientStatus = intern(u.ClientStatus)
	for _, ts := range u.TaskStates {
		if ts != nil {
			ts.State = intern(ts.State)
		}
	}
}
