// Package docker is the docker driver: it runs a task as a container through
// the Docker Engine API. The container is named appmesh-<task>-<alloc id>,
// gets the task's memory and CPU limits and its allocation's ports, and its
// output is followed by the plugin into the task's (rotated) log files. The
// container is removed on destroy.
package docker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
)

// Name is the driver's name in a task's `driver` field.
const Name = "docker"

// apiTimeout bounds a single short Engine API call.
const apiTimeout = 30 * time.Second

// Driver runs tasks as Docker containers.
type Driver struct {
	logger hclog.Logger

	clientOnce sync.Once
	client     *client.Client
	clientErr  error

	mu    sync.Mutex
	tasks map[string]*task
}

var _ drivers.Driver = (*Driver)(nil)

// New returns the docker driver; it connects to the engine named by the
// usual DOCKER_HOST environment (default: the local socket) on first use.
func New(logger hclog.Logger) drivers.Driver {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Driver{logger: logger.Named(Name), tasks: map[string]*task{}}
}

func (d *Driver) docker() (*client.Client, error) {
	d.clientOnce.Do(func() {
		d.client, d.clientErr = client.New(client.FromEnv)
	})
	if d.clientErr != nil {
		return nil, fmt.Errorf("docker client: %w", d.clientErr)
	}
	return d.client, nil
}

// Name implements drivers.Driver.
func (d *Driver) Name() string { return Name }

// Fingerprint is healthy only when the engine answers.
func (d *Driver) Fingerprint(ctx context.Context) (*drivers.Fingerprint, error) {
	c, err := d.docker()
	if err != nil {
		return &drivers.Fingerprint{HealthDescription: err.Error()}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := c.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return &drivers.Fingerprint{HealthDescription: "docker engine not reachable: " + err.Error()}, nil
	}
	return &drivers.Fingerprint{
		Healthy:           true,
		HealthDescription: "healthy",
		Attributes: map[string]string{
			"driver.docker":             "1",
			"driver.docker.version":     v.Version,
			"driver.docker.api_version": v.APIVersion,
		},
		ConfigSchema: ConfigSchema,
	}, nil
}

// Capabilities implements drivers.Driver.
func (d *Driver) Capabilities() (*drivers.Capabilities, error) {
	return &drivers.Capabilities{SendSignals: true, Exec: true, FSIsolation: "image"}, nil
}

func (d *Driver) lookup(id string) (*task, error) {
	d.mu.Lock()
	t := d.tasks[id]
	d.mu.Unlock()
	if t == nil {
		return nil, fmt.Errorf("task %s: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// ContainerName is the container of a task: appmesh-<task>-<alloc id>.
func ContainerName(cfg *drivers.TaskConfig) string {
	return "appmesh-" + cfg.TaskName + "-" + cfg.AllocID
}
