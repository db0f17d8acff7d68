package command

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// settleTime is how long job run keeps watching allocations that reached
// "running" before it says they run: a task that exits at once, or a
// driver that cannot start it, shows within this time instead of being
// reported as running.
const settleTime = 3 * time.Second

// templateJobText explains a periodic or parameterized job, which is never
// placed itself: job run has nothing to wait for. Empty for other jobs.
func templateJobText(job *structs.Job) string {
	switch {
	case job.Periodic != nil:
		return fmt.Sprintf("==> Job %q is periodic: it is not placed itself; each launch creates a child job.\n"+
			"    Next launch and children: appmesh job status %s; launch now: appmesh job periodic force %s", job.ID, job.ID, job.ID)
	case job.Parameterized != nil:
		return fmt.Sprintf("==> Job %q is parameterized: it runs only when dispatched.\n"+
			"    Dispatch it with: appmesh job dispatch %s", job.ID, job.ID)
	}
	return ""
}

// taskTrouble describes the first task of the allocations that failed,
// restarted, or could not start (the driver's message), or "".
func taskTrouble(allocs []*structs.AllocListStub) string {
	var lines []string
	for _, a := range allocs {
		for _, name := range sortedKeys(a.TaskStates) {
			s := a.TaskStates[name]
			if s == nil || !(s.Failed || s.Restarts > 0 || s.LastError != "" || s.State == structs.TaskStateDead && exitedBadly(s) && !killedByClient(s)) {
				continue
			}
			lines = append(lines, fmt.Sprintf("    Allocation %q task %q: %s", structs.ShortID(a.ID), name, troubleText(s)))
		}
	}
	return strings.Join(lines, "\n")
}

func exitedBadly(s *structs.TaskState) bool { return s.ExitCode != nil && *s.ExitCode != 0 }

// killedByClient: the task ended because the client stopped it (its last
// event is Killed), such as a sidecar stopped once the main tasks of a
// batch job finished; the signal's exit code is no trouble then.
func killedByClient(s *structs.TaskState) bool {
	n := len(s.Events)
	return n > 0 && s.Events[n-1].Type == structs.TaskEventKilled
}

// troubleText is what went wrong with a task, from its state and events.
func troubleText(s *structs.TaskState) string {
	var parts []string
	switch {
	case s.Failed:
		parts = append(parts, "failed")
	case s.Restarts > 0:
		parts = append(parts, fmt.Sprintf("restarted %d time(s)", s.Restarts))
	case s.State == structs.TaskStatePending:
		parts = append(parts, "could not start")
	default:
		parts = append(parts, "exited")
	}
	if s.ExitCode != nil {
		parts = append(parts, fmt.Sprintf("exit code %d", *s.ExitCode))
	}
	if s.LastError != "" {
		parts = append(parts, s.LastError)
	} else if e := lastEventMessage(s); e != "" {
		parts = append(parts, e)
	}
	return strings.Join(parts, ": ")
}

func lastEventMessage(s *structs.TaskState) string {
	for i := len(s.Events) - 1; i >= 0; i-- {
		if e := s.Events[i]; e.Message != "" && e.Type != "Started" {
			return e.Message
		}
	}
	return ""
}

// windowWait reports a placed allocation whose tasks wait for their daily
// window: "waiting for its daily window, next start <time>", or "".
func windowWait(a *structs.AllocListStub) string {
	var next int64
	for _, s := range a.TaskStates {
		if s != nil && s.NextStart > 0 && (next == 0 || s.NextStart < next) {
			next = s.NextStart
		}
	}
	if next == 0 {
		return ""
	}
	return "waiting for its daily window, next start " + formatTime(next)
}

// allSettled: every allocation has left "pending" (or waits for its
// window), or one of them has trouble to report.
func allSettled(allocs []*structs.AllocListStub) bool {
	if taskTrouble(allocs) != "" {
		return true
	}
	for _, a := range allocs {
		if a.ClientStatus == structs.AllocClientPending && windowWait(a) == "" {
			return false
		}
	}
	return true
}

// summarize is job run's last word on the allocations it placed: trouble
// first (exit 1), then what runs, completed or waits.
func (m *monitor) summarize(job *structs.Job, allocs []*structs.AllocListStub, inPlace bool) int {
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].CreateIndex < allocs[j].CreateIndex })
	m.ui.Output("")
	m.ui.Output(allocTable(allocs, false))
	if t := taskTrouble(allocs); t != "" {
		m.ui.Error(fmt.Sprintf("==> Job %q: tasks are not running as they should:", job.ID))
		m.ui.Error(t)
		return m.errorf("    See \"appmesh alloc status <id>\"; restarts (if any) go on in the background.")
	}
	counts := map[string]int{}
	for _, a := range allocs {
		if w := windowWait(a); w != "" && a.ClientStatus == structs.AllocClientPending {
			m.ui.Output(fmt.Sprintf("    Allocation %q is %s", structs.ShortID(a.ID), w))
			counts["waiting for its daily window"]++
			continue
		}
		counts[a.ClientStatus]++
	}
	var parts []string
	for _, st := range sortedKeys(counts) {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	what := "placed"
	if inPlace {
		what = "updated in place"
	}
	defer m.canaryHint(job, allocs)
	if counts[structs.AllocClientRunning] == len(allocs) {
		m.ui.Output(fmt.Sprintf("==> Job %q: %d allocation(s) %s and running", job.ID, len(allocs), what))
		return exitOK
	}
	m.ui.Output(fmt.Sprintf("==> Job %q: %d allocation(s) %s: %s", job.ID, len(allocs), what, strings.Join(parts, ", ")))
	return exitOK
}

// canaryHint says, after a run that placed canaries, that the old
// allocations keep running until the canaries are promoted.
func (m *monitor) canaryHint(job *structs.Job, allocs []*structs.AllocListStub) {
	n, auto := 0, true
	for _, a := range allocs {
		if !a.Canary {
			continue
		}
		n++
		if tg := job.LookupGroup(a.TaskGroup); tg == nil || !structs.GroupUpdate(job, tg).AutoPromoteOn() {
			auto = false
		}
	}
	if n == 0 {
		return
	}
	next := fmt.Sprintf("promote them with \"appmesh job promote %s\" once healthy", job.ID)
	if auto {
		next = "they are promoted automatically once healthy (auto_promote)"
	}
	m.ui.Output(fmt.Sprintf("==> %d canary allocation(s) run next to the old ones; %s", n, next))
}

// inPlaceAllocs returns the job's allocations that run its latest version
// without having been created by this registration: an in-place update
// changes them without a new allocation.
func (m *monitor) inPlaceAllocs(job *structs.Job) ([]*structs.AllocListStub, error) {
	stored, _, err := m.client.Jobs().Info(job.ID, m.query(0))
	if err != nil {
		return nil, err
	}
	all, _, err := m.client.Jobs().Allocations(job.ID, false, m.query(0))
	if err != nil {
		return nil, err
	}
	if m.prevVersion != nil && *m.prevVersion == stored.Version {
		return nil, nil // the registration made no new version
	}
	var out []*structs.AllocListStub
	for _, a := range all {
		if a.JobVersion == stored.Version && a.DesiredStatus == structs.AllocDesiredRun {
			out = append(out, a)
		}
	}
	return out, nil
}

// versionBefore is the stored job's version before a registration, or nil
// for a new job (or one that cannot be read: then in-place updates are
// not told apart).
func versionBefore(client *api.Client, jobID string) *uint64 {
	j, _, err := client.Jobs().Info(jobID, nil)
	if err != nil || j == nil {
		return nil
	}
	v := j.Version
	return &v
}

// watchAllocsUntil follows the kept allocations until the time given (or
// the monitor's deadline), returning early when one shows trouble.
func (m *monitor) watchAllocsUntil(jobID string, keep func(*structs.AllocListStub) bool, until time.Time) ([]*structs.AllocListStub, error) {
	var index uint64
	var last []*structs.AllocListStub
	for {
		wait := time.Until(until)
		if wait <= 0 || m.ctx.Err() != nil {
			return last, nil
		}
		q := m.query(index)
		if wait < q.WaitTime {
			q.WaitTime = wait
		}
		all, qm, err := m.client.Jobs().Allocations(jobID, false, q)
		if err != nil {
			return last, err
		}
		last = last[:0]
		for _, a := range all {
			if keep(a) {
				last = append(last, a)
			}
		}
		m.report(last)
		if taskTrouble(last) != "" {
			return last, nil
		}
		index = m.next(index, qm.LastIndex)
	}
}

// updatedInPlace: the allocation existed before the followed evaluation
// (job run of a change that needs no new allocation).
func (m *monitor) updatedInPlace(a *structs.AllocListStub) bool {
	return m.evalIndex > 0 && a.CreateIndex < m.evalIndex
}

func (m *monitor) allInPlace(allocs []*structs.AllocListStub) bool {
	for _, a := range allocs {
		if !m.updatedInPlace(a) {
			return false
		}
	}
	return len(allocs) > 0
}
