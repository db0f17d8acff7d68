package taskrunner

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// ServiceDiscovery finds the healthy instances of a service
// (client/consul.ServiceClient); blocking with waitIndex > 0.
type ServiceDiscovery interface {
	Healthy(ctx context.Context, service, tag string, waitIndex uint64) ([]consul.Instance, uint64, error)
}

// DiscoveryPicker chooses where one upstream's service is looked up (the
// built-in catalog or Consul: client/catalog.Router), in the task's
// namespace.
type DiscoveryPicker interface {
	Discovery(ctx context.Context, namespace, service string) ServiceDiscovery
}

// upstreamsHook gives the task the addresses of its upstream services:
// APPMESH_UPSTREAM_<SERVICE> at start and the rendered destination file,
// which a watcher keeps current while the task runs, restarting or
// signalling the task on change (structs.Upstream).
type upstreamsHook struct {
	tr   *TaskRunner
	disc ServiceDiscovery
	pick DiscoveryPicker // nil: disc for every upstream
	// discs: per upstream index, where it is looked up (set at Prestart).
	discs map[int]ServiceDiscovery

	mu      sync.Mutex
	taskDir string
	last    map[int]string // upstream index → last rendered text
	cancel  context.CancelFunc
	done    chan struct{}
}

func (h *upstreamsHook) Name() string { return "consul_upstreams" }

func (h *upstreamsHook) Prestart(ctx context.Context, cfg *drivers.TaskConfig) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.taskDir, h.last = cfg.TaskDir, map[int]string{}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	h.discs = map[int]ServiceDiscovery{}
	for i, u := range h.tr.task.Upstreams {
		h.discs[i] = h.disc
		if h.pick != nil {
			h.discs[i] = h.pick.Discovery(ctx, h.tr.alloc.Namespace, u.Service)
		}
		qctx, cancel := context.WithTimeout(ctx, syncLookupTimeout)
		inst, _, err := h.discs[i].Healthy(qctx, u.Service, u.Tag, 0)
		cancel()
		if err != nil {
			// Consul down must not keep the task from starting; the
			// watcher fills the file in once Consul answers.
			h.tr.logger.Warn("cannot look up upstream; starting without it", "upstream", u.Service, "error", err)
		}
		cfg.Env[u.EnvName()] = joinInstances(inst)
		text, err := render(u, inst)
		if err == nil {
			err = h.write(u, text)
		}
		if err != nil {
			return fmt.Errorf("upstream %q: %w", u.Service, err)
		}
		h.last[i] = text
	}
	return nil
}

// syncLookupTimeout bounds the lookups done before the task starts.
const syncLookupTimeout = 5 * time.Second

func (h *upstreamsHook) Poststart(context.Context, *drivers.TaskHandle) error {
	h.stopWatch()
	ctx, cancel := context.WithCancel(h.tr.ctx)
	done := make(chan struct{})
	h.mu.Lock()
	h.cancel, h.done = cancel, done
	h.mu.Unlock()
	var wg sync.WaitGroup
	for i, u := range h.tr.task.Upstreams {
		h.mu.Lock()
		d := h.discs[i]
		h.mu.Unlock()
		if d == nil {
			d = h.disc
		}
		wg.Add(1)
		go func() { defer wg.Done(); h.watch(ctx, i, u, d) }()
	}
	go func() { wg.Wait(); close(done) }()
	return nil
}

func (h *upstreamsHook) Exited(context.Context, *drivers.ExitResult) error { h.stopWatch(); return nil }
func (h *upstreamsHook) Stop(context.Context) error                        { h.stopWatch(); return nil }
func (h *upstreamsHook) PreKill(context.Context)                           { h.stopWatch() }

// stopWatch ends the watchers and waits for them.
func (h *upstreamsHook) stopWatch() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel, h.done = nil, nil
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// watch follows one upstream with blocking queries until ctx ends.
func (h *upstreamsHook) watch(ctx context.Context, i int, u *structs.Upstream, disc ServiceDiscovery) {
	var index uint64
	backoff := time.Second
	for ctx.Err() == nil {
		inst, idx, err := disc.Healthy(ctx, u.Service, u.Tag, index)
		if err != nil {
			if !ctxsleep.Sleep(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff, index = time.Second, idx
		h.changed(ctx, i, u, inst)
	}
}

// changed re-renders and, when the text changed, writes the destination
// file and applies the change mode. A query that returns the same
// instances writes nothing.
func (h *upstreamsHook) changed(ctx context.Context, i int, u *structs.Upstream, inst []consul.Instance) {
	text, err := render(u, inst)
	if err != nil {
		h.tr.logger.Error("render upstream", "upstream", u.Service, "error", err)
		return
	}
	h.mu.Lock()
	same := h.last[i] == text
	h.mu.Unlock()
	if same || ctx.Err() != nil {
		return
	}
	if err := h.write(u, text); err != nil {
		h.tr.logger.Error("render upstream", "upstream", u.Service, "error", err)
		return
	}
	h.mu.Lock()
	h.last[i] = text
	h.mu.Unlock()
	h.tr.logger.Info("upstream changed", "upstream", u.Service, "instances", len(inst), "change_mode", u.ChangeMode)
	switch u.ChangeMode {
	case structs.UpstreamChangeSignal:
		if err := h.tr.Signal(u.ChangeSignal); err != nil {
			h.tr.logger.Warn("signal task after upstream change", "error", err)
		}
	case structs.UpstreamChangeRestart:
		if err := h.tr.Restart("upstream " + u.Service + " changed"); err != nil {
			h.tr.logger.Warn("restart task after upstream change", "error", err)
		}
	}
}

// render returns the text that identifies the upstream's state: the
// file's content when it has a destination, else the environment value.
func render(u *structs.Upstream, inst []consul.Instance) (string, error) {
	if u.Destination == "" {
		return joinInstances(inst), nil
	}
	tmpl, err := template.New(u.Service).Parse(u.Template)
	if err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, inst); err != nil {
		return "", fmt.Errorf("template: %w", err)
	}
	return buf.String(), nil
}

// write replaces the upstream's destination file with text (nothing
// without a destination).
func (h *upstreamsHook) write(u *structs.Upstream, text string) error {
	if u.Destination == "" {
		return nil
	}
	path := filepath.Join(h.taskDir, u.Destination)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create directory of %s: %w", u.Destination, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", u.Destination, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", u.Destination, err)
	}
	return nil
}

// joinInstances is "host:port,host:port".
func joinInstances(inst []consul.Instance) string {
	parts := make([]string, len(inst))
	for i, in := range inst {
		parts[i] = net.JoinHostPort(in.Address, strconv.Itoa(in.Port))
	}
	return strings.Join(parts, ",")
}

// upstreamsHookFor returns the upstreams hook of a task, or nil.
func upstreamsHookFor(tr *TaskRunner, reg ServiceRegistrar) hook {
	d, ok := reg.(ServiceDiscovery)
	if !ok || len(tr.task.Upstreams) == 0 {
		return nil
	}
	p, _ := reg.(DiscoveryPicker)
	return &upstreamsHook{tr: tr, disc: d, pick: p}
}
