package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// templateFirstRenderWait is how long the first render waits for an
// unreachable Consul before the task fails: a Consul restart should not
// fail every task that reads it, a Consul that stays down should.
var templateFirstRenderWait = time.Minute

// templateError is a template that could not be rendered before the task
// started; the task fails with a Template Failure event naming it.
type templateError struct {
	dest string
	err  error
}

func (e *templateError) Error() string { return fmt.Sprintf("template %s: %v", e.dest, e.err) }
func (e *templateError) Unwrap() error { return e.err }

func asTemplateError(err error) (*templateError, bool) {
	var te *templateError
	ok := errors.As(err, &te)
	return te, ok
}

// templateHook renders the task's templates into its directory before it
// starts and, while it runs, watches those that read Consul
// (template_watch.go). env = true templates add to the task's environment.
type templateHook struct {
	tr     *TaskRunner
	consul TemplateConsul // nil: Consul functions fail
	// catalog is the built-in catalog in the task's namespace, which
	// nomadService reads (nil: it fails).
	catalog ServiceDiscovery
	// renderOnRestart is restart.render_templates: render again before
	// each restart instead of keeping the files as they are.
	renderOnRestart bool
	pollInterval    time.Duration

	mu       sync.Mutex
	taskDir  string
	in       *templateInput
	last     []string            // by template index: the text last written
	envs     []map[string]string // by template index: env of env = true templates
	dynamic  []bool              // by template index: read Consul at the last render
	rendered bool                // rendered at least once by this runner
	cancel   context.CancelFunc
	done     chan struct{}
}

// templateHookFor returns the templates hook of a task, or nil.
func templateHookFor(tr *TaskRunner, reg ServiceRegistrar, renderOnRestart bool) hook {
	n := len(tr.task.Templates)
	if n == 0 {
		return nil
	}
	h := &templateHook{
		tr: tr, renderOnRestart: renderOnRestart, pollInterval: templatePollInterval,
		last: make([]string, n), envs: make([]map[string]string, n), dynamic: make([]bool, n),
	}
	switch r := reg.(type) {
	case TemplateConsul:
		h.consul = r
	case interface{ TemplateConsul() TemplateConsul }: // catalog.Router
		h.consul = r.TemplateConsul()
	}
	if r, ok := reg.(interface {
		TemplateCatalog(namespace string) ServiceDiscovery
	}); ok {
		h.catalog = r.TemplateCatalog(tr.alloc.Namespace)
	}
	return h
}

func (h *templateHook) Name() string { return "templates" }

func (h *templateHook) input(env map[string]string) *templateInput {
	var node *structs.Node
	if h.tr.node != nil {
		node = h.tr.node()
	}
	return &templateInput{env: maps.Clone(env), node: node, consul: h.consul, catalog: h.catalog}
}

// Prestart renders every template (or, on a restart without
// render_templates, keeps the files) and adds the env templates' values to
// the task's environment.
func (h *templateHook) Prestart(ctx context.Context, cfg *drivers.TaskConfig) error {
	h.stopWatch()
	h.mu.Lock()
	again := h.rendered && !h.renderOnRestart
	h.taskDir = cfg.TaskDir
	h.mu.Unlock()
	if !again {
		if err := h.renderAll(ctx, cfg); err != nil {
			return err
		}
	}
	if cfg.Env == nil {
		cfg.Env = map[string]string{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, env := range h.envs {
		addTemplateEnv(cfg.Env, env)
	}
	return nil
}

// addTemplateEnv adds an env template's values; the APPMESH_* variables
// stay as the client set them, so that a task can rely on them.
func addTemplateEnv(dst, env map[string]string) {
	for k, v := range env {
		if !strings.HasPrefix(k, "APPMESH_") {
			dst[k] = v
		}
	}
}

// renderAll renders and writes every template in order. A Consul that
// cannot be reached is waited for (up to templateFirstRenderWait, ended
// early by a kill or a detach); any other failure fails at once.
func (h *templateHook) renderAll(ctx context.Context, cfg *drivers.TaskConfig) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-h.tr.killCh:
		case <-h.tr.detachCh:
		case <-ctx.Done():
		}
		cancel()
	}()
	in := h.input(cfg.Env)
	h.mu.Lock()
	h.in = in
	h.mu.Unlock()
	deadline := time.Now().Add(templateFirstRenderWait)
	for i, t := range h.tr.task.Templates {
		backoff := 500 * time.Millisecond
		for {
			err := h.renderOne(ctx, i, t, in)
			if err == nil {
				break
			}
			if !errors.Is(err, errConsulLookup) || time.Now().After(deadline) || ctx.Err() != nil {
				return &templateError{dest: t.Destination, err: err}
			}
			h.tr.logger.Warn("template waits for consul", "destination", t.Destination, "error", err)
			if !ctxsleep.Sleep(ctx, backoff) {
				return &templateError{dest: t.Destination, err: err}
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}
	h.mu.Lock()
	h.rendered = true
	h.mu.Unlock()
	return nil
}

// renderOne renders template i and writes its file.
func (h *templateHook) renderOne(ctx context.Context, i int, t *structs.Template, in *templateInput) error {
	r, err := renderTemplate(ctx, h.taskDir, t, in)
	if err != nil {
		return err
	}
	if err := writeTemplateFile(h.taskDir, t, r.text); err != nil {
		return err
	}
	h.mu.Lock()
	h.last[i], h.envs[i], h.dynamic[i] = r.text, r.env, r.dynamic
	h.mu.Unlock()
	h.tr.logger.Debug("template rendered", "destination", t.Destination, "watched", r.dynamic)
	return nil
}

// templateFailed records a template that could not be rendered: a kill
// or a detach during the wait for Consul is not the task's failure;
// anything else fails the task with a Template Failure event.
func (tr *TaskRunner) templateFailed(te *templateError) restartDecision {
	if d, cut := tr.prestartCut("rendering templates", "while rendering templates"); cut {
		return d
	}
	tr.prestartFailed("template failed", structs.TaskEventTemplateFailure, te)
	return restartDecision{failed: true}
}
