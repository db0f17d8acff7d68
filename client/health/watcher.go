package health

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// Config is what a Watcher needs.
type Config struct {
	Checks []*structs.Check
	// Ports maps the allocation's port labels to host ports.
	Ports map[string]int
	// Exec runs script checks inside the task; nil fails them.
	Exec ExecFunc
	// OnChange receives the task's health and every check's last status
	// whenever a check's status changes (not on every run). Calls are
	// serialised.
	OnChange func(health string, checks []*structs.CheckStatus)
	// OnRestart asks for the task to be restarted (check_restart).
	OnRestart func(reason string)
	Logger    hclog.Logger
	// Host is where http and tcp checks connect; empty: 127.0.0.1. The
	// built-in service catalog checks the address it advertises.
	Host string
}

// Watcher runs the checks of one task start, one goroutine per check,
// until Stop or the context given to Start ends.
type Watcher struct {
	cfg     Config
	prober  *prober
	started time.Time
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu       sync.Mutex
	statuses []*structs.CheckStatus
}

// Start begins checking; the first run of each check is at once.
func Start(ctx context.Context, cfg Config) *Watcher {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watcher{cfg: cfg, prober: newProber(cfg.Exec, cfg.Ports), started: time.Now(), cancel: cancel}
	if cfg.Host != "" {
		w.prober.host = cfg.Host
	}
	for i, c := range cfg.Checks {
		w.statuses = append(w.statuses, &structs.CheckStatus{Name: c.DisplayName(i)})
	}
	for i, c := range cfg.Checks {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			w.loop(ctx, i, c)
		}()
	}
	return w
}

// Stop ends every check and waits for them.
func (w *Watcher) Stop() {
	w.cancel()
	w.wg.Wait()
}

// Statuses returns a copy of the checks' last statuses.
func (w *Watcher) Statuses() []*structs.CheckStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return copyStatuses(w.statuses)
}

func (w *Watcher) loop(ctx context.Context, i int, c *structs.Check) {
	failures := 0
	var flap flapDamper
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res := w.prober.run(ctx, c)
		if ctx.Err() != nil {
			return // stopped mid-run: the result means nothing
		}
		w.record(i, flap.status(c, res.ok), res.output)
		failures = w.countFailure(c, i, res.ok, failures)
		t.Reset(c.IntervalOr())
	}
}

// countFailure applies check_restart: failures outside the grace period
// are counted; limit consecutive ones ask for a restart.
func (w *Watcher) countFailure(c *structs.Check, i int, ok bool, failures int) int {
	r := c.CheckRestart
	if ok || r == nil || r.Limit <= 0 {
		return 0
	}
	if time.Since(w.started) < r.Grace.Std() {
		return 0
	}
	failures++
	if failures < r.Limit {
		return failures
	}
	reason := fmt.Sprintf("health check %s failed %d times", c.DisplayName(i), failures)
	w.cfg.Logger.Warn("restarting task", "reason", reason)
	if w.cfg.OnRestart != nil {
		w.cfg.OnRestart(reason)
	}
	return 0
}

// record stores a result and reports when the check's status changed.
// status "" keeps the check's current status (a damped result); the
// output is updated either way.
func (w *Watcher) record(i int, status, output string) {
	w.mu.Lock()
	s := w.statuses[i]
	if status == "" {
		status = s.Status
	}
	changed := s.Status != status
	s.Status, s.Output, s.Time = status, tail(output), time.Now().UnixNano()
	var snapshot []*structs.CheckStatus
	var health string
	if changed {
		snapshot = copyStatuses(w.statuses)
		health = Aggregate(snapshot)
		// Report under the lock so that changes of two checks arrive in order.
		if w.cfg.OnChange != nil {
			w.cfg.OnChange(health, snapshot)
		}
	}
	w.mu.Unlock()
	if changed {
		w.cfg.Logger.Debug("check status changed", "check", s.Name, "status", status, "health", health)
	}
}

// flapDamper applies success_before_passing and failures_before_critical
// to one check's run of results; it is owned by the check's goroutine.
type flapDamper struct {
	passes, fails int
}

// status is the check's status after one result, or "" when the result
// does not reach its threshold yet and the previous status stands.
func (d *flapDamper) status(c *structs.Check, ok bool) string {
	if ok {
		d.passes, d.fails = d.passes+1, 0
		if d.passes >= c.SuccessBeforePassing {
			return structs.HealthHealthy
		}
		return ""
	}
	d.passes, d.fails = 0, d.fails+1
	if d.fails >= c.FailuresBeforeCritical {
		return structs.HealthUnhealthy
	}
	return ""
}

// Aggregate is the task's health from its checks: unhealthy when any
// fails, healthy when all pass, "" while some has not run yet.
func Aggregate(checks []*structs.CheckStatus) string {
	health := structs.HealthHealthy
	for _, c := range checks {
		switch c.Status {
		case structs.HealthUnhealthy:
			return structs.HealthUnhealthy
		case "":
			health = ""
		}
	}
	if len(checks) == 0 {
		return ""
	}
	return health
}

func copyStatuses(in []*structs.CheckStatus) []*structs.CheckStatus {
	out := make([]*structs.CheckStatus, len(in))
	for i, s := range in {
		c := *s
		out[i] = &c
	}
	return out
}
