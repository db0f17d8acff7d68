package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

var errUnsupported = errors.New("not supported by the hello driver")

// WaitTask implements drivers.Driver.
func (d *Driver) WaitTask(ctx context.Context, id string) (*drivers.ExitResult, error) {
	t, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
		r := *t.result
		return &r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StopTask implements drivers.Driver: the task stops at once.
func (d *Driver) StopTask(id string, _ time.Duration, _ string) error {
	t, err := d.lookup(id)
	if err != nil {
		return err
	}
	t.once.Do(func() { close(t.stop) })
	<-t.done
	return nil
}

// DestroyTask implements drivers.Driver.
func (d *Driver) DestroyTask(id string, force bool) error {
	t, err := d.lookup(id)
	if err != nil {
		return err
	}
	select {
	case <-t.done:
	default:
		if !force {
			return fmt.Errorf("task %s: still running", id)
		}
		_ = d.StopTask(id, 0, "")
	}
	d.mu.Lock()
	delete(d.tasks, id)
	d.mu.Unlock()
	return nil
}

// InspectTask implements drivers.Driver.
func (d *Driver) InspectTask(id string) (*drivers.TaskStatus, error) {
	t, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	st := &drivers.TaskStatus{ID: id, State: drivers.TaskStateRunning, StartedAt: t.startedAt}
	select {
	case <-t.done:
		r := *t.result
		st.State, st.CompletedAt, st.ExitResult = drivers.TaskStateExited, t.doneAt, &r
	default:
	}
	return st, nil
}

// RecoverTask implements drivers.Driver. A hello task lives inside the
// plugin, so a new plugin recovers it by starting it again.
func (d *Driver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return fmt.Errorf("recover: handle has no config")
	}
	if _, err := d.lookup(h.ID); err == nil {
		return nil
	}
	_, err := d.StartTask(h.Config)
	return err
}

// SignalTask implements drivers.Driver.
func (d *Driver) SignalTask(id, signal string) error {
	return fmt.Errorf("task %s: signal %s: %w", id, signal, errUnsupported)
}

// ExecTask implements drivers.Driver.
func (d *Driver) ExecTask(id string, _ []string, _ time.Duration) (*drivers.ExecResult, error) {
	return nil, fmt.Errorf("task %s: exec: %w", id, errUnsupported)
}

// TaskStats implements drivers.Driver: a goroutine has no usage of its own.
func (d *Driver) TaskStats(id string) (*drivers.TaskResourceUsage, error) {
	if _, err := d.lookup(id); err != nil {
		return nil, err
	}
	return &drivers.TaskResourceUsage{Timestamp: time.Now().UnixNano()}, nil
}
