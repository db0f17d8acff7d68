package allocrunner

import (
	"github.com/appmesh/appmesh/drivers"
)

// ClientStatus is the allocation's status as this client last computed it.
func (ar *AllocRunner) ClientStatus() string {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.clientStatus
}

// TaskUsage is one running task's resource usage with its metric labels
// (metrics.TaskLabels).
type TaskUsage struct {
	Labels []string
	Usage  *drivers.TaskResourceUsage
}

// RunningTaskUsage samples every running task of the allocation; tasks
// that are not running, or whose driver cannot say, are left out.
func (ar *AllocRunner) RunningTaskUsage() []TaskUsage {
	var out []TaskUsage
	for _, tr := range ar.tasks {
		u, err := tr.Stats()
		if err != nil || u == nil {
			continue
		}
		out = append(out, TaskUsage{Labels: tr.MetricLabels(), Usage: u})
	}
	return out
}
