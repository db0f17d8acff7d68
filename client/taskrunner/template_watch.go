package taskrunner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// templatePollInterval is how often a running task's Consul-reading
// templates are rendered again to look for changes. Reads are stale reads
// of the local agent, so a few seconds cost Consul little.
var templatePollInterval = 3 * time.Second

// Poststart starts the watcher once the task runs.
func (h *templateHook) Poststart(context.Context, *drivers.TaskHandle) error {
	h.startWatch()
	return nil
}

func (h *templateHook) Exited(context.Context, *drivers.ExitResult) error { h.stopWatch(); return nil }
func (h *templateHook) Stop(context.Context) error                        { h.stopWatch(); return nil }
func (h *templateHook) PreKill(context.Context)                           { h.stopWatch() }

// Reattached picks up a task a restarted agent re-attached to: the files
// on disk are what was last rendered, and the watcher resumes from them.
func (h *templateHook) Reattached(context.Context) {
	taskDir := h.tr.allocDir.TaskDir(h.tr.task.Name)
	env := buildEnv(h.tr.task, h.tr.alloc, h.tr.allocDir.Dir, taskDir)
	addMetaEnv(env, h.tr.meta)
	h.mu.Lock()
	h.taskDir, h.in, h.rendered = taskDir, h.input(env), true
	for i, t := range h.tr.task.Templates {
		if text, err := readTaskFile(taskDir, t.Destination); err == nil {
			h.last[i] = text
			if t.Env {
				// The env a later restart gives the task, as rendered.
				h.envs[i], _ = parseEnvFile(text)
			}
		}
		// Unknown until rendered; the watcher renders each once and keeps
		// watching those that read Consul.
		h.dynamic[i] = true
	}
	h.mu.Unlock()
	h.startWatch()
}

// startWatch starts the watcher when a template reads Consul.
func (h *templateHook) startWatch() {
	h.stopWatch()
	h.mu.Lock()
	defer h.mu.Unlock()
	watched := false
	for i, t := range h.tr.task.Templates {
		watched = watched || (h.dynamic[i] && !t.Once)
	}
	if !watched || h.in == nil {
		return
	}
	ctx, cancel := context.WithCancel(h.tr.ctx)
	done := make(chan struct{})
	h.cancel, h.done = cancel, done
	go func() {
		defer close(done)
		h.watch(ctx)
	}()
}

// stopWatch ends the watcher and waits for it.
func (h *templateHook) stopWatch() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel, h.done = nil, nil
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// watch renders the watched templates every poll interval until ctx ends
// and applies the change modes of those whose text changed.
func (h *templateHook) watch(ctx context.Context) {
	lastErr := map[int]string{}
	for ctxsleep.Sleep(ctx, h.pollInterval) {
		var changed []int
		for i, t := range h.tr.task.Templates {
			h.mu.Lock()
			watched := h.dynamic[i] && !t.Once
			h.mu.Unlock()
			if !watched {
				continue
			}
			ok, err := h.rerender(ctx, i, t)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				h.reportWatchError(i, t, err, lastErr)
				continue
			}
			delete(lastErr, i)
			if ok {
				changed = append(changed, i)
			}
		}
		if len(changed) > 0 {
			h.applyChanges(ctx, changed)
		}
	}
}

// rerender renders template i and, when its text changed (and held still
// for wait.min), writes it. It reports whether the file changed.
func (h *templateHook) rerender(ctx context.Context, i int, t *structs.Template) (bool, error) {
	h.mu.Lock()
	in, taskDir, last := h.in, h.taskDir, h.last[i]
	h.mu.Unlock()
	r, err := renderTemplate(ctx, taskDir, t, in)
	if err != nil {
		return false, err
	}
	h.mu.Lock()
	h.dynamic[i] = r.dynamic // after a re-attach, static templates drop out
	h.mu.Unlock()
	if r.text == last {
		return false, nil
	}
	if r, err = h.settle(ctx, t, taskDir, in, r); err != nil || r.text == last {
		return false, err
	}
	if err := writeTemplateFile(taskDir, t, r.text); err != nil {
		return false, err
	}
	h.mu.Lock()
	h.last[i], h.envs[i], h.dynamic[i] = r.text, r.env, r.dynamic
	h.mu.Unlock()
	return true, nil
}

// settle waits, with wait { min max }, until a new text holds still for
// min, or until max has passed since the change was first seen.
func (h *templateHook) settle(ctx context.Context, t *structs.Template, taskDir string, in *templateInput, r *rendered) (*rendered, error) {
	if t.Wait == nil || t.Wait.Min <= 0 {
		return r, nil
	}
	first := time.Now()
	for {
		if !ctxsleep.Sleep(ctx, t.Wait.Min.Std()) {
			return nil, ctx.Err()
		}
		next, err := renderTemplate(ctx, taskDir, t, in)
		if err != nil {
			return nil, err
		}
		if next.text == r.text || (t.Wait.Max > 0 && time.Since(first) >= t.Wait.Max.Std()) {
			return next, nil
		}
		r = next
	}
}

// reportWatchError logs a failed re-render and records it as an event once
// per distinct error; the task keeps running with the last good file.
func (h *templateHook) reportWatchError(i int, t *structs.Template, err error, lastErr map[int]string) {
	msg := err.Error()
	if lastErr[i] == msg {
		return
	}
	lastErr[i] = msg
	h.tr.logger.Warn("template re-render failed; keeping the last file", "destination", t.Destination, "error", err)
	ev := newEvent(structs.TaskEventTemplateFailure, fmt.Sprintf("template %s: re-render failed, keeping the last file: %v", t.Destination, err))
	ev.Error = msg
	h.tr.emit(ev)
}

// applyChanges waits a random splay and applies the change modes of the
// changed templates: one restart covers everything; otherwise each
// distinct signal is sent once and each script runs.
func (h *templateHook) applyChanges(ctx context.Context, changed []int) {
	var dests []string
	var splay time.Duration
	restart := false
	signals := map[string]bool{}
	var scripts []*structs.Template
	for _, i := range changed {
		t := h.tr.task.Templates[i]
		dests = append(dests, t.Destination)
		switch t.ChangeModeOrDefault() {
		case structs.TemplateChangeNoop:
			continue
		case structs.TemplateChangeRestart:
			restart = true
		case structs.TemplateChangeSignal:
			signals[t.ChangeSignal] = true
		case structs.TemplateChangeScript:
			scripts = append(scripts, t)
		}
		splay = max(splay, t.SplayOrDefault())
	}
	what := strings.Join(dests, ", ")
	h.tr.logger.Debug("templates re-rendered", "destinations", what, "restart", restart, "signals", len(signals), "scripts", len(scripts))
	h.tr.emit(newEvent(structs.TaskEventTemplateRendered, "Template re-rendered: "+what))
	if splay > 0 && !ctxsleep.Sleep(ctx, rand.N(splay)) {
		return
	}
	if restart {
		if err := h.tr.Restart("template " + what + " re-rendered"); err != nil {
			h.tr.logger.Warn("restart after template change", "error", err)
		}
		return
	}
	sigs := make([]string, 0, len(signals))
	for s := range signals {
		sigs = append(sigs, s)
	}
	sort.Strings(sigs)
	for _, s := range sigs {
		if err := h.tr.Signal(s); err != nil {
			h.tr.logger.Warn("signal after template change", "signal", s, "error", err)
		}
	}
	for _, t := range scripts {
		h.runChangeScript(t)
	}
}

// runChangeScript runs a template's change_script inside the task. A
// failure is an event; with fail_on_error it also kills the task.
func (h *templateHook) runChangeScript(t *structs.Template) {
	cs := t.ChangeScript
	res, err := h.tr.Exec(append([]string{cs.Command}, cs.Args...), cs.ScriptTimeout())
	if err == nil && res.ExitCode == 0 {
		h.tr.logger.Debug("template change script ran", "destination", t.Destination)
		return
	}
	msg := fmt.Sprintf("change script of template %s failed: ", t.Destination)
	if err != nil {
		msg += err.Error()
	} else {
		msg += fmt.Sprintf("exit code %d", res.ExitCode)
	}
	h.tr.logger.Warn("template change script failed", "destination", t.Destination, "error", msg)
	ev := newEvent(structs.TaskEventTemplateChangeFailed, msg)
	ev.Error = msg
	h.tr.emit(ev)
	if cs.FailOnError {
		h.tr.Kill(msg)
	}
}
