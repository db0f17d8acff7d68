package executor

import (
	"context"
	"runtime"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
)

// Version is reported as the driver.<name>.version attribute of the drivers
// built on this executor.
const Version = "0.1.0"

// Driver adapts an Executor to the drivers.Driver interface under a name.
type Driver struct {
	name string
	exec *Executor
}

var _ drivers.Driver = (*Driver)(nil)

// NewDriver returns a process driver called name; iso may be nil.
func NewDriver(name string, logger hclog.Logger, iso Isolation) *Driver {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Driver{name: name, exec: New(logger.Named(name), iso)}
}

// Name implements drivers.Driver.
func (d *Driver) Name() string { return d.name }

// Fingerprint reports the driver healthy on Linux, the only OS whose process
// groups, pidfds and /proc the executor is built on.
func (d *Driver) Fingerprint(context.Context) (*drivers.Fingerprint, error) {
	if runtime.GOOS != "linux" {
		return &drivers.Fingerprint{HealthDescription: d.name + " runs on Linux only"}, nil
	}
	return &drivers.Fingerprint{
		Healthy:           true,
		HealthDescription: "healthy",
		Attributes: map[string]string{
			"driver." + d.name:              "1",
			"driver." + d.name + ".version": Version,
		},
		ConfigSchema: d.schema(),
	}, nil
}

// EnableNamespaces gives the driver's tasks their own PID and mount
// namespaces (see Executor.EnableNamespaces) and the `isolation` key.
func (d *Driver) EnableNamespaces(stateBase string, unavailable error) {
	d.exec.EnableNamespaces(stateBase, unavailable)
}

// NamespacesError is why the driver's tasks cannot get namespaces, or nil.
func (d *Driver) NamespacesError() error { return d.exec.nsErr }

func (d *Driver) schema() *drivers.ConfigSchema {
	if d.exec.namespaces {
		return ExecConfigSchema
	}
	return ConfigSchema
}

// Capabilities implements drivers.Driver.
func (d *Driver) Capabilities() (*drivers.Capabilities, error) {
	fs := "none"
	if d.exec.namespaces {
		fs = "chroot"
	}
	return &drivers.Capabilities{SendSignals: true, Exec: true, FSIsolation: fs}, nil
}

// StartTask implements drivers.Driver.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	h, err := d.exec.Start(cfg)
	if err != nil {
		return nil, err
	}
	h.Driver = d.name
	return h, nil
}

// WaitTask implements drivers.Driver.
func (d *Driver) WaitTask(ctx context.Context, id string) (*drivers.ExitResult, error) {
	return d.exec.Wait(ctx, id)
}

// StopTask implements drivers.Driver.
func (d *Driver) StopTask(id string, timeout time.Duration, signal string) error {
	return d.exec.Stop(id, timeout, signal)
}

// DestroyTask implements drivers.Driver.
func (d *Driver) DestroyTask(id string, force bool) error { return d.exec.Destroy(id, force) }

// InspectTask implements drivers.Driver.
func (d *Driver) InspectTask(id string) (*drivers.TaskStatus, error) { return d.exec.Inspect(id) }

// RecoverTask implements drivers.Driver.
func (d *Driver) RecoverTask(h *drivers.TaskHandle) error { return d.exec.Recover(h) }

// SignalTask implements drivers.Driver.
func (d *Driver) SignalTask(id string, signal string) error { return d.exec.Signal(id, signal) }

// ExecTask implements drivers.Driver.
func (d *Driver) ExecTask(id string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	return d.exec.Exec(id, cmd, timeout)
}

// TaskStats implements drivers.Driver.
func (d *Driver) TaskStats(id string) (*drivers.TaskResourceUsage, error) { return d.exec.Stats(id) }
