package allocrunner

import (
	"fmt"
	"strings"
	"time"

	"github.com/appmesh/appmesh/client/state"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// Detach makes every task runner leave its task running and return
// (agent shutdown). WaitCh closes once all have returned.
func (ar *AllocRunner) Detach() {
	ar.detachOnce.Do(func() { close(ar.detachCh) })
	for _, tr := range ar.tasks {
		tr.Detach()
	}
}

// persistAlloc saves the allocation and its job version.
func (ar *AllocRunner) persistAlloc() {
	if ar.db == nil {
		return
	}
	ar.mu.Lock()
	rec := &state.AllocRecord{Alloc: ar.alloc.Copy(), Job: ar.job}
	ar.mu.Unlock()
	if err := ar.db.PutAlloc(rec); err != nil {
		ar.logger.Error("cannot save allocation; a restarted agent may not re-attach to it", "error", err)
	}
}

// taskRemove is the task runners' callback for the exit action "remove":
// the allocation stops and, once, the owner is asked to stop the job.
func (ar *AllocRunner) taskRemove(task, reason string) {
	ar.Kill(fmt.Sprintf("task %q asked to remove the job", task))
	ar.removeOnce.Do(func() {
		if ar.onRemove == nil {
			return
		}
		ar.mu.Lock()
		alloc := ar.alloc.Copy()
		ar.mu.Unlock()
		go ar.onRemove(alloc, fmt.Sprintf("task %q: %s", task, reason))
	})
}

// taskRunner finds a task; an empty name picks the only task of a
// one-task group.
func (ar *AllocRunner) taskRunner(task string) (*taskrunner.TaskRunner, error) {
	if task == "" {
		if len(ar.tasks) == 1 {
			return ar.tasks[0], nil
		}
		return nil, fmt.Errorf("invalid: allocation %s has %d tasks (%s): name one", structs.ShortID(ar.id), len(ar.tasks), ar.taskNames())
	}
	for _, tr := range ar.tasks {
		if tr.TaskName() == task {
			return tr, nil
		}
	}
	return nil, fmt.Errorf("allocation %s has no task %q (tasks: %s): %w", structs.ShortID(ar.id), task, ar.taskNames(), structs.ErrNotFound)
}

func (ar *AllocRunner) taskNames() string {
	names := make([]string, len(ar.tasks))
	for i, tr := range ar.tasks {
		names[i] = tr.TaskName()
	}
	return strings.Join(names, ", ")
}

// selectTasks returns the named task, or every task for "".
func (ar *AllocRunner) selectTasks(task string) ([]*taskrunner.TaskRunner, error) {
	if task == "" {
		return ar.tasks, nil
	}
	tr, err := ar.taskRunner(task)
	if err != nil {
		return nil, err
	}
	return []*taskrunner.TaskRunner{tr}, nil
}

// Signal sends sig to one task, or to every running task for "".
func (ar *AllocRunner) Signal(task, sig string) error {
	trs, err := ar.selectTasks(task)
	if err != nil {
		return err
	}
	var errs []string
	for _, tr := range trs {
		if err := tr.Signal(sig); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) == len(trs) {
		return fmt.Errorf("signal %s: %s", sig, strings.Join(errs, "; "))
	}
	return nil
}

// Restart restarts one task, or every task for "", in place. A task that
// still waits for its lifecycle turn has nothing to restart.
func (ar *AllocRunner) Restart(task, reason string) error {
	trs, err := ar.selectTasks(task)
	if err != nil {
		return err
	}
	var errs []string
	for _, tr := range trs {
		if err := ar.notStartedYet(tr); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if err := tr.Restart(reason); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) == len(trs) {
		return fmt.Errorf("restart: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Exec runs cmd in a task.
func (ar *AllocRunner) Exec(task string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	tr, err := ar.taskRunner(task)
	if err != nil {
		return nil, err
	}
	return tr.Exec(cmd, timeout)
}

// Stats returns the usage of each running task; tasks that are not
// running are left out.
func (ar *AllocRunner) Stats(task string) (map[string]*drivers.TaskResourceUsage, error) {
	trs, err := ar.selectTasks(task)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*drivers.TaskResourceUsage, len(trs))
	var lastErr error
	for _, tr := range trs {
		u, err := tr.Stats()
		if err != nil {
			lastErr = err
			continue
		}
		out[tr.TaskName()] = u
	}
	if len(out) == 0 && lastErr != nil {
		return nil, lastErr
	}
	return out, nil
}
