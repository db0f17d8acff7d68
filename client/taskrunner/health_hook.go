package taskrunner

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/client/health"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// healthHook runs the task's checks from the start of the task to its
// exit (client/health), puts their results on the task's state and
// restarts the task when a check with check_restart keeps failing.
type healthHook struct {
	tr *TaskRunner
	w  *health.Watcher // the current start's checks; Run goroutine only
}

func (h *healthHook) Name() string { return "health" }

func (h *healthHook) Poststart(ctx context.Context, _ *drivers.TaskHandle) error {
	tr := h.tr
	if len(tr.task.Checks) == 0 {
		return nil
	}
	ports := make(map[string]int, len(tr.alloc.AllocatedPorts))
	for _, p := range tr.alloc.AllocatedPorts {
		ports[p.Label] = p.Value
	}
	h.w = health.Start(ctx, health.Config{
		Checks: tr.task.Checks,
		Ports:  ports,
		Exec: func(cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
			return tr.Exec(cmd, timeout)
		},
		OnChange: func(status string, checks []*structs.CheckStatus) {
			tr.update(func(s *structs.TaskState) { s.Health, s.Checks = status, checks })
		},
		OnRestart: func(reason string) {
			if err := tr.Restart(reason); err != nil {
				tr.logger.Warn("check_restart could not restart the task", "error", err)
			}
		},
		Logger: tr.logger,
	})
	return nil
}

// Reattached resumes the checks of a task a restarted agent re-attached to.
func (h *healthHook) Reattached(ctx context.Context) {
	if h.w == nil {
		_ = h.Poststart(ctx, nil)
	}
}

// Exited stops the checks; the last results stay on the state, the
// health is unknown until the next start's checks ran.
func (h *healthHook) Exited(_ context.Context, _ *drivers.ExitResult) error {
	if h.w == nil {
		return nil
	}
	h.w.Stop()
	h.w = nil
	h.tr.update(func(s *structs.TaskState) { s.Health = "" })
	return nil
}
