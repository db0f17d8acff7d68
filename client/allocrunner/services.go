package allocrunner

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/structs"
)

// groupServices registers the group's services with Consul while the
// allocation runs, and removes them before its tasks are killed and when
// it ends. Task services are the task runners' (client/taskrunner).
type groupServices struct {
	reg      taskrunner.ServiceRegistrar
	services []*structs.Service
	// registered is only touched under the runner's updateMu.
	registered bool
}

// syncGroupServices follows the client status; updateMu is held.
func (ar *AllocRunner) syncGroupServices(status string) {
	gs := ar.groupSvc
	if gs == nil {
		return
	}
	switch {
	case status == structs.AllocClientRunning && !gs.registered && !ar.killed():
		gs.registered = true
		ar.mu.Lock()
		a := ar.alloc
		ar.mu.Unlock()
		w := &consul.Workload{AllocID: a.ID, JobID: a.JobID, JobVersion: a.JobVersion, Group: a.TaskGroup,
			Services: gs.services, Ports: a.AllocatedPorts, ExecIn: ar.execIn}
		if err := gs.reg.RegisterWorkload(w); err != nil {
			ar.logger.Error("cannot register the group's services with consul", "error", err)
		}
	case status != structs.AllocClientRunning && status != structs.AllocClientPending && gs.registered:
		gs.registered = false
		ar.removeGroupServices()
	}
}

// removeGroupServices deregisters the group's services (idempotent).
func (ar *AllocRunner) removeGroupServices() {
	if gs := ar.groupSvc; gs != nil {
		gs.reg.RemoveWorkload(ar.id, ar.groupName, "")
	}
}

// killed reports whether Kill was called.
func (ar *AllocRunner) killed() bool { return ar.killedFlag.Load() }

// newGroupServices returns the group's services state, or nil.
func newGroupServices(reg taskrunner.ServiceRegistrar, g *structs.TaskGroup) *groupServices {
	// Sidecar proxies of connect services are registered with the group's
	// services, in the built-in catalog whatever the service's provider.
	services := append(structs.CopyServices(g.Services), structs.ConnectSidecarServices(g)...)
	if reg == nil || len(services) == 0 {
		return nil
	}
	if f, ok := reg.(taskrunner.ServiceFilter); ok && !f.Registers(services) {
		return nil
	}
	return &groupServices{reg: reg, services: services}
}

// execIn returns a script check runner inside the named task of the
// allocation (check.task of a group service), or nil when there is none.
func (ar *AllocRunner) execIn(task string) consul.ExecFunc {
	for _, tr := range ar.tasks {
		if tr.TaskName() != task {
			continue
		}
		return func(_ context.Context, cmd []string, timeout time.Duration) (int, string, error) {
			res, err := tr.Exec(cmd, timeout)
			if err != nil {
				return -1, "", err
			}
			return res.ExitCode, string(res.Stdout) + string(res.Stderr), nil
		}
	}
	return nil
}
