package taskrunner

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// ServiceRegistrar keeps services registered with Consul
// (client/consul.ServiceClient).
type ServiceRegistrar interface {
	RegisterWorkload(w *consul.Workload) error
	// RemoveWorkload removes a task's services, or the group's own ones
	// when task is empty.
	RemoveWorkload(allocID, group, task string)
}

// ServiceFilter is implemented by a registrar that knows whether it would
// register any of the services (client/catalog.Router).
type ServiceFilter interface {
	Registers(services []*structs.Service) bool
}

// preKillHook runs before the driver is asked to stop the task (kill or
// restart), while the task still runs.
type preKillHook interface {
	hook
	PreKill(ctx context.Context)
}

// reattachedHook runs after a restarted agent re-attached to the task.
type reattachedHook interface {
	hook
	Reattached(ctx context.Context)
}

// servicesHook registers the task's services with Consul while it runs:
// after start (and re-attach), and deregisters them when it exits on its
// own, and before it is killed, followed by its shutdown_delay so that
// clients stop sending traffic before the kill signal.
type servicesHook struct {
	tr  *TaskRunner
	reg ServiceRegistrar
}

func (h *servicesHook) Name() string { return "consul_services" }

func (h *servicesHook) workload() *consul.Workload {
	tr := h.tr
	return &consul.Workload{
		AllocID: tr.alloc.ID, JobID: tr.alloc.JobID, JobVersion: tr.alloc.JobVersion, Group: tr.alloc.TaskGroup, Task: tr.task.Name,
		Services: tr.task.Services, Ports: tr.alloc.AllocatedPorts, Exec: h.exec,
	}
}

func (h *servicesHook) register() {
	if err := h.reg.RegisterWorkload(h.workload()); err != nil {
		h.tr.logger.Error("cannot register the task's services with consul", "error", err)
	}
}

func (h *servicesHook) remove() {
	h.reg.RemoveWorkload(h.tr.alloc.ID, h.tr.alloc.TaskGroup, h.tr.task.Name)
}

func (h *servicesHook) Poststart(context.Context, *drivers.TaskHandle) error {
	h.register()
	return nil
}

func (h *servicesHook) Reattached(context.Context) { h.register() }

func (h *servicesHook) Exited(context.Context, *drivers.ExitResult) error {
	h.remove()
	return nil
}

func (h *servicesHook) Stop(context.Context) error {
	h.remove()
	return nil
}

func (h *servicesHook) PreKill(ctx context.Context) {
	h.remove()
	if d := h.tr.task.ShutdownDelay.Std(); d > 0 {
		h.tr.logger.Debug("waiting shutdown_delay before killing the task", "delay", d)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
}

// exec runs a script check inside the task.
func (h *servicesHook) exec(_ context.Context, cmd []string, timeout time.Duration) (int, string, error) {
	res, err := h.tr.Exec(cmd, timeout)
	if err != nil {
		return -1, "", err
	}
	return res.ExitCode, string(res.Stdout) + string(res.Stderr), nil
}

// runPreKill runs the pre-kill hooks.
func (tr *TaskRunner) runPreKill() {
	for _, h := range tr.hooks {
		if p, ok := h.(preKillHook); ok {
			p.PreKill(tr.ctx)
		}
	}
}

// runReattached runs the hooks that follow a re-attach.
func (tr *TaskRunner) runReattached() {
	for _, h := range tr.hooks {
		if p, ok := h.(reattachedHook); ok {
			p.Reattached(tr.ctx)
		}
	}
}

// servicesHookFor returns the services hook of a task, or nil when there
// is nothing to register.
func servicesHookFor(tr *TaskRunner, reg ServiceRegistrar) hook {
	if reg == nil || len(tr.task.Services) == 0 {
		return nil
	}
	if f, ok := reg.(ServiceFilter); ok && !f.Registers(tr.task.Services) {
		return nil // no provider takes them (no Consul, none built-in)
	}
	return &servicesHook{tr: tr, reg: reg}
}
