package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
)

// StartTask creates and starts the task's container.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if cfg == nil || cfg.ID == "" {
		return nil, fmt.Errorf("task config: id is required")
	}
	tc, err := parseConfig(cfg)
	if err != nil {
		return nil, err
	}
	opts, err := createOptions(cfg, tc)
	if err != nil {
		return nil, err
	}
	if h, ok := d.alreadyStarted(cfg.ID); ok {
		return h, nil
	}
	c, err := d.docker()
	if err != nil {
		return nil, err
	}
	if err := d.ensureImage(c, tc.Image, tc.Load); err != nil {
		return nil, fmt.Errorf("task %s: %w", cfg.ID, err)
	}
	if err := d.reserve(cfg.ID); err != nil {
		return nil, err
	}
	if t, err := d.adoptRunning(c, cfg, tc.Image); err != nil || t != nil {
		return d.finishStart(cfg.ID, t, err)
	}
	unpin, err := pinCores(c, cfg, opts.HostConfig)
	if err != nil {
		d.release(cfg.ID)
		return nil, fmt.Errorf("task %s: %w", cfg.ID, err)
	}
	t, err := d.run(c, cfg, opts)
	unpin()
	return d.finishStart(cfg.ID, t, err)
}

// finishStart records a started (or adopted) task, or releases its
// reservation when the start failed.
func (d *Driver) finishStart(id string, t *task, err error) (*drivers.TaskHandle, error) {
	if err != nil {
		d.release(id)
		return nil, fmt.Errorf("task %s: %w", id, err)
	}
	d.mu.Lock()
	d.tasks[id] = t
	d.mu.Unlock()
	return t.handle()
}

func (d *Driver) reserve(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[id]; ok {
		return fmt.Errorf("task %s: already exists", id)
	}
	d.tasks[id] = nil
	return nil
}

func (d *Driver) release(id string) {
	d.mu.Lock()
	delete(d.tasks, id)
	d.mu.Unlock()
}

// run creates the container (replacing a leftover of the same name), starts
// it and follows its logs.
func (d *Driver) run(c *client.Client, cfg *drivers.TaskConfig, opts client.ContainerCreateOptions) (*task, error) {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	_, _ = c.ContainerRemove(ctx, opts.Name, client.ContainerRemoveOptions{Force: true})
	created, err := c.ContainerCreate(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("creating container %s: %w", opts.Name, err)
	}
	t := &task{id: cfg.ID, cfg: cfg, containerID: created.ID, done: make(chan struct{})}
	if _, err := c.ContainerStart(ctx, created.ID, client.ContainerStartOptions{}); err != nil {
		_ = d.remove(c, created.ID)
		return nil, fmt.Errorf("starting container %s: %w", opts.Name, err)
	}
	// Following a container that has not started yet ends at once; once
	// started, the engine replays its output from the beginning.
	if err := d.followLogs(c, t, time.Time{}); err != nil {
		_ = d.remove(c, created.ID)
		return nil, err
	}
	t.startedAt = time.Now()
	go d.watch(c, t)
	return t, nil
}

func (d *Driver) remove(c *client.Client, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	_, err := c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("removing container %s: %w", id, err)
	}
	return nil
}

// WaitTask implements drivers.Driver.
func (d *Driver) WaitTask(ctx context.Context, id string) (*drivers.ExitResult, error) {
	t, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-t.done:
		t.mu.Lock()
		r := *t.result
		t.mu.Unlock()
		return &r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("task %s: waiting: %w", id, ctx.Err())
	}
}

// StopTask sends signal, waits up to timeout, then the engine kills.
func (d *Driver) StopTask(id string, timeout time.Duration, signal string) error {
	t, err := d.lookup(id)
	if err != nil {
		return err
	}
	if t.exited() {
		return nil
	}
	c, err := d.docker()
	if err != nil {
		return err
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), timeout+apiTimeout)
	defer cancel()
	if _, err := c.ContainerStop(ctx, t.containerID, client.ContainerStopOptions{Signal: signal, Timeout: &secs}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("task %s: stopping container: %w", id, err)
	}
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("task %s: container still running after stop", id)
	}
}

// DestroyTask removes the container; force kills it first if it runs.
func (d *Driver) DestroyTask(id string, force bool) error {
	t, err := d.lookup(id)
	if err != nil {
		return err
	}
	if !t.exited() && !force {
		return fmt.Errorf("task %s: still running; stop it first or destroy with force", id)
	}
	c, err := d.docker()
	if err != nil {
		return err
	}
	if err := d.remove(c, t.containerID); err != nil {
		return fmt.Errorf("task %s: %w", id, err)
	}
	select {
	case <-t.done:
	case <-time.After(apiTimeout):
		return fmt.Errorf("task %s: container removed but its wait did not return", id)
	}
	t.stopLogs()
	d.release(id)
	return nil
}

// InspectTask implements drivers.Driver.
func (d *Driver) InspectTask(id string) (*drivers.TaskStatus, error) {
	t, err := d.lookup(id)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &drivers.TaskStatus{ID: id, State: drivers.TaskStateRunning, StartedAt: t.startedAt}
	if t.result != nil {
		r := *t.result
		st.State, st.CompletedAt, st.ExitResult = drivers.TaskStateExited, t.completedAt, &r
	}
	return st, nil
}

// RecoverTask re-attaches to a running container: its logs are followed
// again from now on, and its end is watched.
func (d *Driver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.ID == "" || h.Config == nil {
		return fmt.Errorf("recover: handle has no task id or config")
	}
	var st driverState
	if err := json.Unmarshal(h.DriverState, &st); err != nil || st.ContainerID == "" {
		return fmt.Errorf("task %s: recover: bad driver state: %v", h.ID, err)
	}
	c, err := d.docker()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	in, err := c.ContainerInspect(ctx, st.ContainerID, client.ContainerInspectOptions{})
	if err != nil {
		return fmt.Errorf("task %s: recover: %w", h.ID, err)
	}
	if in.Container.State == nil || !in.Container.State.Running {
		return fmt.Errorf("task %s: recover: container %s is no longer running", h.ID, st.ContainerID)
	}
	if err := d.reserve(h.ID); err != nil {
		return nil // already known
	}
	t := &task{id: h.ID, cfg: h.Config, containerID: st.ContainerID, startedAt: h.StartedAt, done: make(chan struct{})}
	if err := d.followLogs(c, t, time.Now()); err != nil {
		d.release(h.ID)
		return fmt.Errorf("task %s: recover: %w", h.ID, err)
	}
	d.mu.Lock()
	d.tasks[h.ID] = t
	d.mu.Unlock()
	go d.watch(c, t)
	return nil
}

// SignalTask implements drivers.Driver.
func (d *Driver) SignalTask(id string, signal string) error {
	t, err := d.lookup(id)
	if err != nil {
		return err
	}
	if signal == "" {
		return fmt.Errorf("task %s: signal name is required", id)
	}
	c, err := d.docker()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if _, err := c.ContainerKill(ctx, t.containerID, client.ContainerKillOptions{Signal: signal}); err != nil {
		return fmt.Errorf("task %s: signal %s: %w", id, signal, err)
	}
	return nil
}

var errNotRunning = errors.New("task is not running")
