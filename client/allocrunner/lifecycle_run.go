package allocrunner

import (
	"fmt"
	"sync"

	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
)

// gate holds a task back until its lifecycle turn comes (lifecycle.go).
// It opens once and stays open: a main task that restarts later does not
// wait for the prestart tasks again, and a completed prestart task is not
// run again.
type gate struct {
	open chan struct{}
	once sync.Once
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) isOpen() bool {
	select {
	case <-g.open:
		return true
	default:
		return false
	}
}

// newGates makes a gate for every task that must wait for its turn. A task
// an earlier agent already started (running or dead) has had its turn and
// gets none: it is re-attached to (or left dead) at once.
func newGates(l *lifecycle, tasks []*structs.Task, restored map[string]*structs.TaskState) map[string]*gate {
	gates := map[string]*gate{}
	for _, t := range tasks {
		if !l.gated(t.Name) {
			continue
		}
		if s := restored[t.Name]; s != nil && (s.State == structs.TaskStateRunning || s.State == structs.TaskStateDead) {
			continue
		}
		gates[t.Name] = newGate()
	}
	return gates
}

// TaskEventLifecycleWait is recorded on a task that waits for its
// lifecycle turn, so that a pending task says why.
const TaskEventLifecycleWait = "Waiting"

// waitMessages say what a gated task waits for, by hook.
var waitMessages = map[string]string{
	"":                             "Waiting for the prestart tasks to complete",
	structs.LifecycleHookPoststart: "Waiting for the main tasks to start",
	structs.LifecycleHookPoststop:  "Waiting for the main tasks to stop",
}

// announceWaits records a Waiting event on every task whose turn has not
// come. Run calls it before any task starts, outside the state callback.
func (ar *AllocRunner) announceWaits() {
	states := ar.taskStates()
	for _, tr := range ar.tasks {
		name := tr.TaskName()
		if g := ar.gates[name]; g != nil && !ar.lifecycle.mayStart(name, states) {
			tr.Emit(TaskEventLifecycleWait, waitMessages[ar.lifecycle.hooks[name]])
		}
	}
}

// runTask runs one task runner once its gate opens. A kill before that
// lets the runner record the task as killed before it started; a detach
// (agent shutdown) leaves it pending for the next agent.
func (ar *AllocRunner) runTask(tr *taskrunner.TaskRunner) {
	if g := ar.gates[tr.TaskName()]; g != nil && !g.isOpen() {
		select {
		case <-g.open:
		case <-tr.KilledCh():
		case <-ar.detachCh:
			return
		}
	}
	tr.Run()
}

// advanceLifecycle opens the gates whose turn has come and stops the tasks
// that must not outlive the main tasks. It runs on every report, with
// updateMu held, so it sees every change of the task states in order.
func (ar *AllocRunner) advanceLifecycle(states map[string]*structs.TaskState) {
	ar.stopForLeader(states)
	if ar.lifecycle.plain {
		return
	}
	for name, g := range ar.gates {
		if !g.isOpen() && ar.lifecycle.mayStart(name, states) {
			ar.logger.Debug("lifecycle: task may start", "task", name, "hook", ar.lifecycle.hooks[name])
			g.release()
		}
	}
	for _, name := range ar.lifecycle.toStop(states) {
		if ar.lifecycleStopped[name] {
			continue
		}
		ar.lifecycleStopped[name] = true
		if tr, err := ar.taskRunner(name); err == nil {
			ar.logger.Info("lifecycle: main tasks have finished, stopping task", "task", name)
			tr.Kill("main tasks have finished")
		}
	}
}

// stopForLeader kills the group's other tasks once its leader task has
// ended for good. Each is asked once, like the lifecycle stops.
func (ar *AllocRunner) stopForLeader(states map[string]*structs.TaskState) {
	for _, name := range ar.lifecycle.leaderStop(states) {
		if ar.lifecycleStopped[name] {
			continue
		}
		ar.lifecycleStopped[name] = true
		if tr, err := ar.taskRunner(name); err == nil {
			ar.logger.Info("leader task has finished, stopping task", "task", name, "leader", ar.lifecycle.leader)
			tr.Kill(fmt.Sprintf("leader task %q has finished", ar.lifecycle.leader))
		}
	}
}

// notStartedYet returns an error when the task still waits for its
// lifecycle turn, nil otherwise.
func (ar *AllocRunner) notStartedYet(tr *taskrunner.TaskRunner) error {
	if g := ar.gates[tr.TaskName()]; g != nil && !g.isOpen() {
		return fmt.Errorf("task %q has not started yet: it waits for its lifecycle hook %q", tr.TaskName(), ar.lifecycle.hooks[tr.TaskName()])
	}
	return nil
}
