package executor

import (
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// task is one running or exited task. Its leader's pid is also its process
// group id, as the leader is started with Setpgid.
type task struct {
	id         string
	cfg        *drivers.TaskConfig
	pid        int
	pgid       int
	startTicks uint64
	startedAt  time.Time
	process    *os.Process // nil for a recovered task: not our child
	watcher    *pidWatcher
	done       chan struct{} // closed once result is set
	spec       *launchSpec   // env, user and dir for ExecTask; nil if unknown
	out        *taskOutput   // nil when the task writes straight to files
	ns         *nsTask       // its PID and mount namespaces; nil when none

	statsMu  sync.Mutex
	lastCPU  uint64 // ns of CPU time at lastSeen, for CPUPercent
	lastSeen time.Time

	mu          sync.Mutex
	gone        bool      // the leader's pid may be reused: never signal it again
	stopBy      time.Time // set by Stop: when the grace period ends
	completedAt time.Time
	result      *drivers.ExitResult
}

func newTask(cfg *drivers.TaskConfig, pid int, ticks uint64, proc *os.Process, w *pidWatcher) *task {
	return &task{
		id:         cfg.ID,
		cfg:        cfg,
		pid:        pid,
		pgid:       pid,
		startTicks: ticks,
		startedAt:  time.Now(),
		process:    proc,
		watcher:    w,
		done:       make(chan struct{}),
	}
}

func (t *task) handle() (*drivers.TaskHandle, error) {
	st := driverState{PID: t.pid, PGID: t.pgid, StartTicks: t.startTicks}
	if t.ns != nil {
		st.NS, st.NSPid = true, t.ns.childNSPid
	}
	state, err := marshalState(st)
	if err != nil {
		return nil, err
	}
	return &drivers.TaskHandle{
		ID:          t.id,
		Config:      t.cfg,
		PID:         t.pid,
		StartedAt:   t.startedAt,
		DriverState: state,
	}, nil
}

// markGone is called right before the leader is reaped (or is known to be
// reaped by someone else): from then on its pid may name another process.
func (t *task) markGone() {
	t.mu.Lock()
	t.gone = true
	t.mu.Unlock()
}

func (t *task) finish(res *drivers.ExitResult) {
	t.mu.Lock()
	t.gone = true
	t.result = res
	t.completedAt = time.Now()
	t.mu.Unlock()
	close(t.done)
}

func (t *task) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

func (t *task) exitResult() *drivers.ExitResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := *t.result
	return &r
}

func (t *task) status() *drivers.TaskStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &drivers.TaskStatus{ID: t.id, State: drivers.TaskStateRunning, PID: t.pid, StartedAt: t.startedAt}
	if t.result != nil {
		r := *t.result
		st.State, st.CompletedAt, st.ExitResult = drivers.TaskStateExited, t.completedAt, &r
	}
	return st
}

// signalGroup signals the task's process group while its leader is known to
// be alive (its pid, and so the group id, still belongs to the task).
func (t *task) signalGroup(sig unix.Signal) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gone {
		return nil
	}
	return signalGroup(t.pgid, sig)
}

// signalLeader signals the task's main process only.
func (t *task) signalLeader(sig unix.Signal) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gone {
		return fmt.Errorf("task %s: not running", t.id)
	}
	if t.ns != nil {
		return signalNSMain(t, sig)
	}
	if err := unix.Kill(t.pid, sig); err != nil {
		return fmt.Errorf("task %s: sending %s to pid %d: %w", t.id, unix.SignalName(sig), t.pid, err)
	}
	return nil
}

// beginStop records the end of a Stop's grace period.
func (t *task) beginStop(timeout time.Duration) {
	t.mu.Lock()
	if t.stopBy.IsZero() {
		t.stopBy = time.Now().Add(timeout)
	}
	t.mu.Unlock()
}

// groupPoll is how often the rest of a stopping task's group is checked once
// its leader is gone; only stopping tasks with stragglers are polled.
const groupPoll = 20 * time.Millisecond

// awaitGroupDuringStop lets the other members of a stopping task's group
// finish their own shutdown (a wrapper shell dies on SIGTERM at once; the
// server it started may need seconds) until the grace period ends. The
// leader is an unreaped zombie meanwhile, so Stop can still kill the group.
func (t *task) awaitGroupDuringStop() {
	t.mu.Lock()
	stopBy := t.stopBy
	t.mu.Unlock()
	for !stopBy.IsZero() && time.Now().Before(stopBy) && groupHasLiveMembers(t.pgid, t.pid) {
		time.Sleep(groupPoll)
	}
}
