// Package scheduler is the pure placement logic: given a read-only State and
// an evaluation, it produces a Plan and submits it through a Planner. It does
// no I/O of its own, so `job plan`, tests and benchmarks run the very code the
// servers run.
package scheduler

import (
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// State is the read-only view of the cluster a scheduler works from
// (a state-store snapshot in production, a fixture in tests).
type State interface {
	// Nodes returns every node, in any order.
	Nodes() ([]*structs.Node, error)
	// NodeByID returns a node or nil.
	NodeByID(id string) (*structs.Node, error)
	// JobByID returns the current version of a job or nil.
	JobByID(namespace, id string) (*structs.Job, error)
	// JobByIDAndVersion returns one stored version of a job, or nil when
	// that version is unknown or was dropped.
	JobByIDAndVersion(namespace, id string, version uint64) (*structs.Job, error)
	// AllocsByJob returns all of the job's allocations, terminal included.
	AllocsByJob(namespace, jobID string) ([]*structs.Allocation, error)
	// AllocsByNode returns all allocations on a node, terminal included.
	AllocsByNode(nodeID string) ([]*structs.Allocation, error)
	// EvalsByJob returns the job's evaluations (a delayed reschedule
	// evaluation already pending is not written twice).
	EvalsByJob(namespace, jobID string) ([]*structs.Evaluation, error)
	// NodeUsage returns the sum of what the node's non-terminal
	// allocations use, without listing them.
	NodeUsage(nodeID string) (*structs.NodeUsage, error)
	// LatestIndex is the Raft index the view reflects.
	LatestIndex() (uint64, error)
}

// Planner is how a scheduler acts: submit a plan, update its evaluation,
// create follow-up evaluations.
type Planner interface {
	// SubmitPlan commits what fits and returns the result. When part of the
	// plan was rejected, the result has a RefreshIndex and the returned
	// State (may be nil otherwise) is fresh enough to plan again.
	SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error)
	// UpdateEval writes the evaluation's final status.
	UpdateEval(eval *structs.Evaluation) error
	// CreateEval writes a follow-up evaluation (e.g. a blocked one).
	CreateEval(eval *structs.Evaluation) error
}

// Scheduler processes one evaluation.
type Scheduler interface {
	Process(eval *structs.Evaluation) error
}

// Factory builds a scheduler for one evaluation.
type Factory func(logger hclog.Logger, state State, planner Planner) Scheduler
