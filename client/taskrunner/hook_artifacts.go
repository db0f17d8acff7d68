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
	if tr.killRequested() {
		tr.emit(newEvent(structs.TaskEventKilled, "Task killed while downloading artifacts: "+tr.killReason))
		return restartDecision{}
	}
	select {
	case <-tr.detachCh:
		// next sees the detach and leaves the task pending for the next agent.
		return restartDecision{restart: true, reason: "Agent stopped during the artifact download"}
	default:
	}
	tr.logger.Error("artifact failed", "error", ae)
	ev := newEvent(structs.TaskEventArtifactFailure, ae.Error())
	ev.Error = ae.Error()
	tr.emit(ev)
	return tr.restarts.onStartFailure()
}

// asArtifactError finds an artifact failure in a prestart error.
func asArtifactError(err error) (*artifactError, bool) {
	var ae *artifactError
	ok := errors.As(err, &ae)
	return ae, ok
}
