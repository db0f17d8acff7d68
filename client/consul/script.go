package consul

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// maxCheckOutput bounds the output sent to Consul with a TTL update.
const maxCheckOutput = 4 << 10

// scriptCheck runs a script check inside its task every interval and
// reports the result to Consul's TTL check: exit 0 passing, 1 warning,
// anything else (or a failure to run) critical.
type scriptCheck struct {
	api      *api.Client
	checkID  string
	cmd      []string
	interval time.Duration
	timeout  time.Duration
	exec     ExecFunc
	logger   hclog.Logger
	cancel   context.CancelFunc
}

// startScripts starts the runners of the workload's script checks that
// are not running yet. c.mu is held.
func (c *ServiceClient) startScripts(w *Workload) {
	if w.Exec == nil && w.ExecIn == nil {
		return
	}
	for _, s := range w.Services {
		id := w.ServiceID(s)
		for i, ch := range s.Checks {
			cid := checkID(id, i)
			if ch.Type != structs.CheckTypeScript || c.scripts[cid] != nil {
				continue
			}
			exec := w.Exec
			if ch.Task != "" && w.ExecIn != nil {
				exec = w.ExecIn(ch.Task)
			}
			if exec == nil {
				continue // its TTL runs out: the check shows critical
			}
			ctx, cancel := context.WithCancel(context.Background())
			sc := &scriptCheck{
				api: c.api, checkID: cid, cmd: append([]string{ch.Command}, ch.Args...),
				interval: ch.IntervalOr(), timeout: ch.TimeoutOr(), exec: exec,
				logger: c.logger.With("check_id", cid), cancel: cancel,
			}
			c.scripts[cid] = sc
			go sc.run(ctx)
		}
	}
}

func (sc *scriptCheck) stop() { sc.cancel() }

func (sc *scriptCheck) run(ctx context.Context) {
	for {
		sc.once(ctx)
		t := time.NewTimer(sc.interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// once runs the script and reports its result.
func (sc *scriptCheck) once(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, sc.timeout)
	code, out, err := sc.exec(rctx, sc.cmd, sc.timeout)
	cancel()
	if ctx.Err() != nil {
		return // removed while running: do not report for a dead task
	}
	status := api.HealthCritical
	switch {
	case err != nil:
		out = "script check failed to run: " + err.Error()
	case code == 0:
		status = api.HealthPassing
	case code == 1:
		status = api.HealthWarning
	}
	if len(out) > maxCheckOutput {
		out = out[:maxCheckOutput]
	}
	uctx, ucancel := context.WithTimeout(ctx, syncTimeout)
	defer ucancel()
	if err := sc.api.Agent().UpdateTTLOpts(sc.checkID, out, status, (&api.QueryOptions{}).WithContext(uctx)); err != nil {
		sc.logger.Debug("report script check to consul", "error", err)
	}
}
