package command

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

// defaultMonitorTimeout bounds how long job run/stop wait for the cluster.
const defaultMonitorTimeout = 30 * time.Second

// idleRetry spaces out blocking queries whose index did not move, so that a
// misbehaving agent cannot turn the monitor into a busy loop.
const idleRetry = 200 * time.Millisecond

// monitor follows an evaluation and the allocations it touches with
// blocking queries (no polling) and prints what happens.
type monitor struct {
	ui       cli.Ui
	client   *api.Client
	ctx      context.Context
	timeout  time.Duration
	deadline time.Time
	status   map[string]string // allocation ID → last client status printed
	stopping bool              // following a stop: allocations are not new
	// prevVersion is the job's version before job run registered it (nil:
	// a new job), to tell an in-place update from "up to date".
	prevVersion *uint64
	// evalIndex is the followed evaluation's create index: an allocation
	// created before it and touched by it was updated in place.
	evalIndex uint64
}

func newMonitor(ui cli.Ui, client *api.Client, timeout time.Duration) (*monitor, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	deadline, _ := ctx.Deadline()
	return &monitor{ui: ui, client: client, ctx: ctx, timeout: timeout,
		deadline: deadline, status: map[string]string{}}, cancel
}

// query returns blocking-query options that never outlive the deadline.
func (m *monitor) query(index uint64) *api.QueryOptions {
	return &api.QueryOptions{WaitIndex: index, WaitTime: time.Until(m.deadline), Context: m.ctx}
}

// next returns the index for the next blocking query, pausing briefly when
// the last one came back without progress.
func (m *monitor) next(old, got uint64) uint64 {
	if got > old {
		return got
	}
	select {
	case <-time.After(idleRetry):
	case <-m.ctx.Done():
	}
	return old
}

// waitEval blocks until the evaluation is processed.
func (m *monitor) waitEval(id string) (*structs.Evaluation, error) {
	m.ui.Output(fmt.Sprintf("==> Monitoring evaluation %q", structs.ShortID(id)))
	var index uint64
	last := ""
	for {
		eval, qm, err := m.client.Evaluations().Info(id, m.query(index))
		if err != nil {
			return nil, err
		}
		if eval.Status != last {
			if last == "" {
				m.ui.Output(fmt.Sprintf("    Evaluation of job %q, triggered by %s", eval.JobID, orDash(eval.TriggeredBy)))
			} else {
				m.ui.Output(fmt.Sprintf("    Evaluation status changed: %q -> %q", last, eval.Status))
			}
			last = eval.Status
		}
		if eval.TerminalStatus() || eval.Status == structs.EvalStatusBlocked {
			m.ui.Output(fmt.Sprintf("==> Evaluation %q finished with status %q", structs.ShortID(id), eval.Status))
			return eval, nil
		}
		index = m.next(index, qm.LastIndex)
	}
}

// report prints new allocations and client status changes.
func (m *monitor) report(allocs []*structs.AllocListStub) {
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].CreateIndex < allocs[j].CreateIndex })
	for _, a := range allocs {
		prev, seen := m.status[a.ID]
		switch {
		case !seen && m.stopping:
			m.ui.Output(fmt.Sprintf("    Allocation %q on node %q is %q, stopping",
				structs.ShortID(a.ID), a.NodeName, a.ClientStatus))
		case !seen && m.updatedInPlace(a):
			m.ui.Output(fmt.Sprintf("    Allocation %q updated in place: node %q, group %q, status %q",
				structs.ShortID(a.ID), a.NodeName, a.TaskGroup, a.ClientStatus))
		case !seen:
			m.ui.Output(fmt.Sprintf("    Allocation %q created: node %q, group %q, status %q",
				structs.ShortID(a.ID), a.NodeName, a.TaskGroup, a.ClientStatus))
		case prev != a.ClientStatus:
			m.ui.Output(fmt.Sprintf("    Allocation %q status changed: %q -> %q",
				structs.ShortID(a.ID), prev, a.ClientStatus))
		}
		m.status[a.ID] = a.ClientStatus
	}
}

// watchAllocs blocks on the job's allocations until settled(allocs) holds
// for those that keep(alloc) selects. A purged job counts as no allocations.
func (m *monitor) watchAllocs(jobID string, keep func(*structs.AllocListStub) bool,
	settled func([]*structs.AllocListStub) bool) ([]*structs.AllocListStub, error) {
	var index uint64
	for {
		all, qm, err := m.client.Jobs().Allocations(jobID, false, m.query(index))
		if api.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var mine []*structs.AllocListStub
		for _, a := range all {
			if keep(a) {
				mine = append(mine, a)
			}
		}
		m.report(mine)
		if settled(mine) {
			return mine, nil
		}
		index = m.next(index, qm.LastIndex)
	}
}

// monitorRun follows a registration: the evaluation, then the allocations
// it placed (or updated in place) until each runs, finished, waits for its
// daily window, or shows trouble (a task that exits at once, restarts, or
// that its driver could not start). Exit 0 when all is well, 1 when
// placement or a task failed, or on timeout.
func (m *monitor) monitorRun(evalID string, job *structs.Job) int {
	if t := templateJobText(job); t != "" {
		m.ui.Output(t)
		return exitOK
	}
	eval, err := m.waitEval(evalID)
	if err != nil {
		return m.failed(err, job.ID)
	}
	if code, done := m.evalProblem(eval, job); done {
		return code
	}
	m.evalIndex = eval.CreateIndex
	placed := func(a *structs.AllocListStub) bool { return a.EvalID == evalID }
	allocs, err := m.watchAllocs(job.ID, placed, allSettled)
	if err != nil {
		return m.failed(err, job.ID)
	}
	inPlace := false
	if len(allocs) == 0 {
		if allocs, err = m.inPlaceAllocs(job); err != nil {
			return m.failed(err, job.ID)
		}
		if len(allocs) == 0 {
			m.ui.Output("==> No allocation was created or changed: the job is up to date")
			return exitOK
		}
		inPlace = true
	}
	inPlace = inPlace || m.allInPlace(allocs)
	// A task that exits at once or that its driver cannot start shows
	// within a moment: watch that long before saying it runs.
	if taskTrouble(allocs) == "" {
		ids := map[string]bool{}
		for _, a := range allocs {
			ids[a.ID] = true
		}
		until := time.Now().Add(settleTime)
		allocs, err = m.watchAllocsUntil(job.ID, func(a *structs.AllocListStub) bool { return ids[a.ID] }, until)
		if err != nil {
			return m.failed(err, job.ID)
		}
	}
	return m.summarize(job, allocs, inPlace)
}

// evalProblem reports a failed or canceled evaluation and placements that
// did not fit, with the scheduler's reasons.
func (m *monitor) evalProblem(eval *structs.Evaluation, job *structs.Job) (int, bool) {
	switch eval.Status {
	case structs.EvalStatusFailed, structs.EvalStatusCanceled:
		return m.errorf("==> Evaluation %s: %s", eval.Status, orDash(eval.StatusDescription)), true
	}
	if len(eval.FailedTGAllocs) == 0 {
		return 0, false
	}
	m.ui.Error("==> Placement failed:")
	for _, line := range placementFailures(eval, groupCounts(job)) {
		m.ui.Error("    " + line)
	}
	if eval.BlockedEval != "" || eval.Status == structs.EvalStatusBlocked {
		m.ui.Error("    The missing allocations are queued and will be placed when capacity frees up.")
	}
	return exitError, true
}

// monitorStop follows a deregistration until every allocation of the job
// that was live before it (live) has stopped on its client.
func (m *monitor) monitorStop(evalID, jobID string, live map[string]bool) int {
	m.stopping = true
	if _, err := m.waitEval(evalID); err != nil {
		return m.failed(err, jobID)
	}
	wasLive := func(a *structs.AllocListStub) bool { return live[a.ID] }
	allocs, err := m.watchAllocs(jobID, wasLive, func(allocs []*structs.AllocListStub) bool {
		for _, a := range allocs {
			if !isClientTerminal(a.ClientStatus) {
				return false
			}
		}
		return true
	})
	if err != nil {
		return m.failed(err, jobID)
	}
	m.ui.Output(fmt.Sprintf("==> Job %q stopped: %d allocation(s) stopped", jobID, len(allocs)))
	return exitOK
}

func isClientTerminal(status string) bool {
	switch status {
	case structs.AllocClientComplete, structs.AllocClientFailed, structs.AllocClientLost:
		return true
	}
	return false
}

// failed explains a monitor error; a timeout is not fatal for the job.
func (m *monitor) failed(err error, jobID string) int {
	if errors.Is(err, context.DeadlineExceeded) {
		return m.errorf("==> Timed out after %s; the work continues in the background.\n"+
			"    Follow it with: appmesh job status %s", m.timeout, jobID)
	}
	return m.errorf("==> Error while monitoring: %v", err)
}

func (m *monitor) errorf(format string, args ...any) int {
	m.ui.Error(fmt.Sprintf(format, args...))
	return exitError
}

// allocTable renders allocations; long adds version, desired status and age.
func allocTable(allocs []*structs.AllocListStub, long bool) string {
	rows := [][]string{{"ID", "Node", "Group", "Status"}}
	if long {
		rows[0] = []string{"ID", "Node", "Group", "Version", "Desired", "Status", "Health", "Next Start", "Created"}
	}
	now := time.Now()
	for _, a := range allocs {
		row := []string{structs.ShortID(a.ID), orDash(a.NodeName), a.TaskGroup, a.ClientStatus}
		if long {
			row = []string{structs.ShortID(a.ID), orDash(a.NodeName), a.TaskGroup,
				fmt.Sprint(a.JobVersion), a.DesiredStatus, a.ClientStatus, healthText(a.Healthy),
				nextStartText(a.TaskStates), formatAge(a.CreateTime, now)}
		}
		rows = append(rows, row)
	}
	return formatTable(rows)
}
