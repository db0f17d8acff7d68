package taskrunner

import (
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/metrics"
)

// MetricLabels are the task's values of metrics.TaskLabels: namespace,
// job, group and task, never an allocation ID (a job's allocations share
// its series, which keeps the label set bounded across reschedules).
func (tr *TaskRunner) MetricLabels() []string {
	return []string{tr.alloc.Namespace, tr.alloc.JobID, tr.alloc.TaskGroup, tr.task.Name}
}

func (tr *TaskRunner) countStart() { metrics.TaskStarts.WithLabelValues(tr.MetricLabels()...).Inc() }
func (tr *TaskRunner) countRestart() {
	metrics.TaskRestarts.WithLabelValues(tr.MetricLabels()...).Inc()
}

// countExit records how the task's process ended.
func (tr *TaskRunner) countExit(res *drivers.ExitResult) {
	labels := tr.MetricLabels()
	metrics.TaskExits.WithLabelValues(append(labels, metrics.ExitCode(res.ExitCode))...).Inc()
	if res.OOMKilled {
		metrics.TaskOOMKills.WithLabelValues(labels...).Inc()
	}
}
