package executor

import "github.com/appmesh/appmesh/drivers"

// RunningTasks counts the tasks that have not exited yet (a reserved id
// whose start is under way counts too). A plugin uses it to know when it
// may exit without taking a task down (drivers.RunningTaskCounter).
func (e *Executor) RunningTasks() int {
	e.mu.Lock()
	tasks := make([]*task, 0, len(e.tasks))
	for _, t := range e.tasks {
		tasks = append(tasks, t)
	}
	e.mu.Unlock()
	n := 0
	for _, t := range tasks {
		if t == nil {
			n++
			continue
		}
		t.mu.Lock()
		if t.result == nil {
			n++
		}
		t.mu.Unlock()
	}
	return n
}

// RunningTasks serves drivers.RunningTaskCounter.
func (d *Driver) RunningTasks() int { return d.exec.RunningTasks() }

var _ drivers.RunningTaskCounter = (*Driver)(nil)
