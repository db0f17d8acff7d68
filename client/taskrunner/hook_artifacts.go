package taskrunner

import (
	"context"
	"errors"
	"fmt"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// artifactError is a failed artifact; the task runner turns it into a
// Failed Artifact Download event and applies the restart policy, since a
// missing file or a server down may be fixed by the next attempt.
type artifactError struct {
	source string // displaySource: no secrets
	err    error
}

func (e *artifactError) Error() string { return fmt.Sprintf("artifact %s: %v", e.source, e.err) }
func (e *artifactError) Unwrap() error { return e.err }

// artifactHook fetches the task's artifacts into its directory before it
// starts. Each artifact is fetched once per runner: a restart after a
// success does not download it again.
type artifactHook struct {
	tr      *TaskRunner
	fetcher *artifactFetcher
	done    []bool // by index in the task's artifacts; Run goroutine only
}

func artifactHookFor(tr *TaskRunner) hook {
	if len(tr.task.Artifacts) == 0 {
		return nil
	}
	return &artifactHook{tr: tr, fetcher: newArtifactFetcher(tr.policy), done: make([]bool, len(tr.task.Artifacts))}
}

func (h *artifactHook) Name() string { return "artifacts" }

func (h *artifactHook) Prestart(ctx context.Context, cfg *drivers.TaskConfig) error {
	// A kill or a detach (agent shutdown) ends a download at once; the
	// goroutine ends with this call.
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
	first := true
	for i, a := range h.tr.task.Artifacts {
		if h.done[i] {
			continue
		}
		if first {
			h.tr.emit(newEvent(structs.TaskEventDownloadingArtifacts, "Client is downloading artifacts"))
			first = false
		}
		src := displaySource(a.Source)
		if err := h.fetcher.fetch(ctx, cfg.TaskDir, a); err != nil {
			return &artifactError{source: src, err: err}
		}
		h.tr.logger.Debug("artifact fetched", "source", src, "destination", a.DestinationOrDefault())
		h.done[i] = true
	}
	return nil
}

// artifactFailed decides after an artifact failed: a kill or a detach that
// cut the download short is not the task's failure; anything else is a
// Failed Artifact Download event and the restart policy's call.
func (tr *TaskRunner) artifactFailed(ae *artifactError) restartDecision {
	if d, cut := tr.prestartCut("downloading artifacts", "during the artifact download"); cut {
		return d
	}
	tr.prestartFailed("artifact failed", structs.TaskEventArtifactFailure, ae)
	return tr.restarts.onStartFailure()
}

// prestartCut reports whether a kill or a detach interrupted a prestart
// step (doing: "while <doing>"; during: "Agent stopped <during>"), and the
// decision then: a kill ends the task, a detach leaves it pending for the
// next agent. Neither is the task's failure.
func (tr *TaskRunner) prestartCut(doing, during string) (restartDecision, bool) {
	if tr.killRequested() {
		tr.emit(newEvent(structs.TaskEventKilled, "Task killed while "+doing+": "+tr.killReason))
		return restartDecision{}, true
	}
	select {
	case <-tr.detachCh:
		return restartDecision{restart: true, reason: "Agent stopped " + during}, true
	default:
		return restartDecision{}, false
	}
}

// prestartFailed logs and records a prestart step's failure as an event of
// the given type.
func (tr *TaskRunner) prestartFailed(msg, eventType string, err error) {
	tr.logger.Error(msg, "error", err)
	ev := newEvent(eventType, err.Error())
	ev.Error = err.Error()
	tr.emit(ev)
}

// asArtifactError finds an artifact failure in a prestart error.
func asArtifactError(err error) (*artifactError, bool) {
	var ae *artifactError
	ok := errors.As(err, &ae)
	return ae, ok
}
