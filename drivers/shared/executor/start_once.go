package executor

import "github.com/appmesh/appmesh/drivers"

// alreadyStarted covers the agent's crash window between a task's start
// and the saving of its handle: an agent killed there never learned the
// handle, and the next one asks for the same task (its ID is the
// allocation and task name) again. The client releases a task
// (DestroyTask) before it starts it anew, so a task still known here was
// started by an agent that did not live to record it: its handle is
// returned, running or already exited, and no second copy is started.
func (e *Executor) alreadyStarted(id string) (handleOut *drivers.TaskHandle, ok bool) {
	e.mu.Lock()
	t := e.tasks[id]
	e.mu.Unlock()
	if t == nil {
		return nil, false // unknown, or a start under way (reserve refuses it)
	}
	h, err := t.handle()
	if err != nil {
		return nil, false
	}
	e.logger.Info("task was already started for an agent that did not record it: returning its handle",
		"task_id", id, "pid", t.pid)
	return h, true
}
