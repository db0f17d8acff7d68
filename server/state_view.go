package server

import (
	"github.com/appmesh/appmesh/server/scheduler"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// stateView adapts a state snapshot to the scheduler's small State interface.
type stateView struct{ snap *state.StateSnapshot }

var _ scheduler.State = stateView{}

func (v stateView) Nodes() ([]*structs.Node, error) { return v.snap.Nodes(nil) }
func (v stateView) NodeByID(id string) (*structs.Node, error) {
	return v.snap.NodeByID(nil, id)
}
func (v stateView) JobByID(ns, id string) (*structs.Job, error) {
	return v.snap.JobByID(nil, ns, id)
}
func (v stateView) JobByIDAndVersion(ns, id string, version uint64) (*structs.Job, error) {
	return v.snap.JobByIDAndVersion(nil, ns, id, version)
}
func (v stateView) AllocsByJob(ns, jobID string) ([]*structs.Allocation, error) {
	return v.snap.AllocsByJob(nil, ns, jobID)
}
func (v stateView) AllocsByNode(nodeID string) ([]*structs.Allocation, error) {
	return v.snap.AllocsByNode(nil, nodeID)
}
func (v stateView) EvalsByJob(ns, jobID string) ([]*structs.Evaluation, error) {
	return v.snap.EvalsByJob(nil, ns, jobID)
}
func (v stateView) NodeUsage(nodeID string) (*structs.NodeUsage, error) {
	return v.snap.NodeUsage(nil, nodeID)
}
func (v stateView) LatestIndex() (uint64, error) { return v.snap.LatestIndex() }
