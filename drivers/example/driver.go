package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/appmesh/appmesh/drivers"
)

// Name is the driver's name in a task's `driver` field.
const Name = "hello"

// Driver runs "hello" tasks: each is a goroutine of this plugin that writes
// the task's message to its stdout file every interval.
type Driver struct {
	mu    sync.Mutex
	tasks map[string]*task
}

type task struct {
	cfg       *drivers.TaskConfig
	startedAt time.Time
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once
	result    *drivers.ExitResult
	doneAt    time.Time
}

// NewDriver returns the hello driver.
func NewDriver() *Driver { return &Driver{tasks: map[string]*task{}} }

// Name implements drivers.Driver.
func (d *Driver) Name() string { return Name }

// Fingerprint implements drivers.Driver: always healthy.
func (d *Driver) Fingerprint(context.Context) (*drivers.Fingerprint, error) {
	return &drivers.Fingerprint{Healthy: true, HealthDescription: "healthy",
		Attributes: map[string]string{"driver.hello": "1", "driver.hello.version": "0.1.0"}}, nil
}

// Capabilities implements drivers.Driver.
func (d *Driver) Capabilities() (*drivers.Capabilities, error) {
	return &drivers.Capabilities{SendSignals: false, Exec: false, FSIsolation: "none"}, nil
}

// config is a hello task's `config` block.
type config struct {
	message  string
	interval time.Duration
}

func parseConfig(c map[string]any) (*config, error) {
	out := &config{message: "hello", interval: time.Second}
	for k, v := range c {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("config: %s must be a string, got %T", k, v)
		}
		switch k {
		case "message":
			out.message = s
		case "interval":
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("config: interval %q must be a positive duration", s)
			}
			out.interval = d
		default:
			return nil, fmt.Errorf("config: unknown key %q (allowed: message, interval)", k)
		}
	}
	return out, nil
}

// StartTask implements drivers.Driver.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	c, err := parseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	t := &task{cfg: cfg, startedAt: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	d.mu.Lock()
	if _, ok := d.tasks[cfg.ID]; ok {
		d.mu.Unlock()
		return nil, fmt.Errorf("task %s: already exists", cfg.ID)
	}
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	go t.run(c)
	return &drivers.TaskHandle{ID: cfg.ID, Driver: Name, Config: cfg, StartedAt: t.startedAt}, nil
}

func (t *task) run(c *config) {
	res := &drivers.ExitResult{}
	defer func() {
		t.result, t.doneAt = res, time.Now()
		close(t.done)
	}()
	f, err := os.OpenFile(t.cfg.StdoutPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		res.ExitCode, res.Err = 1, fmt.Sprintf("opening stdout: %v", err)
		return
	}
	defer f.Close()
	tick := time.NewTicker(c.interval)
	defer tick.Stop()
	for {
		if _, err := fmt.Fprintln(f, c.message); err != nil {
			res.ExitCode, res.Err = 1, fmt.Sprintf("writing stdout: %v", err)
			return
		}
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
	}
}

func (d *Driver) lookup(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.tasks[id]; t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("task %s: %w", id, drivers.ErrTaskNotFound)
}
