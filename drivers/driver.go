// Package drivers is the driver plugin SDK: the interface every task driver
// implements, the types that cross the plugin boundary, and helpers to serve a
// driver as a hashicorp/go-plugin subprocess and to dial one.
package drivers

import (
	"context"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Driver runs tasks. Built-in drivers (exec, raw_exec) and third-party ones
// implement the same interface; the client only ever talks to a Driver
// through a plugin client, so a driver crash never takes the agent down.
type Driver interface {
	// Name is the driver's name as used in a task's `driver` field.
	Name() string
	// Fingerprint reports whether the driver can run tasks on this node.
	Fingerprint(ctx context.Context) (*Fingerprint, error)
	// Capabilities describes optional features.
	Capabilities() (*Capabilities, error)
	// StartTask starts a task and returns a handle that can later be used to
	// recover it (re-attach after an agent restart).
	StartTask(cfg *TaskConfig) (*TaskHandle, error)
	// WaitTask blocks until the task exits or ctx is done.
	WaitTask(ctx context.Context, taskID string) (*ExitResult, error)
	// StopTask sends signal (default SIGTERM), waits up to timeout, then kills
	// the task's whole process tree.
	StopTask(taskID string, timeout time.Duration, signal string) error
	// DestroyTask releases everything the task holds; force kills it first
	// if it still runs.
	DestroyTask(taskID string, force bool) error
	// InspectTask returns the task's current status.
	InspectTask(taskID string) (*TaskStatus, error)
	// RecoverTask re-attaches to a task started earlier from its handle.
	RecoverTask(handle *TaskHandle) error
	// SignalTask sends a signal (by name, e.g. "SIGHUP") to the task.
	SignalTask(taskID string, signal string) error
	// ExecTask runs cmd inside the task's context (same cgroup or
	// container, user, environment and working directory), waits for it up
	// to timeout (0: no limit) and returns its output and exit code.
	ExecTask(taskID string, cmd []string, timeout time.Duration) (*ExecResult, error)
	// TaskStats reports the task's current CPU and memory usage.
	TaskStats(taskID string) (*TaskResourceUsage, error)
}

// Fingerprint is a driver's health on this node.
type Fingerprint struct {
	Healthy           bool              `json:"healthy"`
	HealthDescription string            `json:"health_description,omitempty"`
	Attributes        map[string]string `json:"attributes,omitempty"`
	// ConfigSchema is the task `config` block the driver accepts, if it
	// says: the servers check jobs against it before placing them (job
	// plan, job run). Optional: a plugin without it is checked at start.
	ConfigSchema *ConfigSchema `json:"config_schema,omitempty"`
}

// Capabilities lists optional features of a driver.
type Capabilities struct {
	SendSignals bool `json:"send_signals"`
	Exec        bool `json:"exec"`
	// FSIsolation is "none", "chroot" or "image".
	FSIsolation string `json:"fs_isolation"`
}

// TaskConfig is everything a driver needs to start one task.
type TaskConfig struct {
	// ID identifies the task to the driver: "<alloc id>/<task name>".
	ID       string `json:"id"`
	AllocID  string `json:"alloc_id"`
	TaskName string `json:"task_name"`
	JobID    string `json:"job_id"`
	Group    string `json:"group"`
	// Config is the task's driver-specific `config` block.
	Config    map[string]any     `json:"config"`
	Env       map[string]string  `json:"env,omitempty"`
	User      string             `json:"user,omitempty"`
	Resources *structs.Resources `json:"resources,omitempty"`
	// AllocDir is the allocation's directory; TaskDir the task's own
	// working directory inside it (default working directory).
	AllocDir string `json:"alloc_dir"`
	TaskDir  string `json:"task_dir"`
	// StdoutPath and StderrPath are the files the task's output goes to.
	StdoutPath string `json:"stdout_path"`
	StderrPath string `json:"stderr_path"`
	// LogMaxFiles and LogMaxFileSizeMB rotate the output: StdoutPath and
	// StderrPath name the first file ("<task>.stdout.0"); when the newest
	// file reaches LogMaxFileSizeMB the next index is started, and only the
	// LogMaxFiles newest files are kept. 0 disables rotation.
	LogMaxFiles      int `json:"log_max_files,omitempty"`
	LogMaxFileSizeMB int `json:"log_max_file_size_mb,omitempty"`
	// Ports maps the allocation's port labels to host ports.
	Ports map[string]int `json:"ports,omitempty"`
	// PortsTo maps a port label to the port inside the task (the network
	// block's `to`), for labels that set one: a container listens there.
	PortsTo map[string]int `json:"ports_to,omitempty"`
	// Stdin gives the task a standard input fed through a FIFO in its log
	// directory (StdinFIFOPath) instead of /dev/null.
	Stdin bool `json:"stdin,omitempty"`
	// HostVolumesAllowed and PrivilegedAllowed are the client's settings
	// (docker_volumes_enabled, docker_privileged_enabled): a driver refuses
	// a task that bind-mounts host paths or asks for a privileged container
	// unless the operator turned them on. They travel with each task, not
	// in the plugin's start-up configuration, because a plugin outlives the
	// agent that launched it and serves the next one too.
	HostVolumesAllowed bool `json:"host_volumes_allowed,omitempty"`
	PrivilegedAllowed  bool `json:"privileged_allowed,omitempty"`
	// ChrootEnv is the client's chroot_env: the host paths (key) an
	// isolated exec task sees, read-only, and where (value); empty means
	// the driver's default. UnisolatedAllowed lets an exec task opt out
	// with isolation = "none" (the client allows raw_exec). Both travel
	// with each task for the reason above.
	ChrootEnv         map[string]string `json:"chroot_env,omitempty"`
	UnisolatedAllowed bool              `json:"unisolated_allowed,omitempty"`
	// Mounts are the task's volume_mount blocks resolved to the client's
	// host volumes. An isolating driver binds each at TaskPath; one without
	// a filesystem of its own (raw_exec) links it into the task dir.
	Mounts []*MountConfig `json:"mounts,omitempty"`
	// NetNSPath is the bridge-mode allocation's network namespace the task
	// starts in; "" is the node's network. ResolvConf is a file an
	// isolating driver binds at /etc/resolv.conf (the network's dns block).
	NetNSPath string `json:"netns_path,omitempty"`
	// UTSNSPath is the UTS namespace holding the network block's hostname
	// ("": the node's), joined like NetNSPath.
	UTSNSPath  string `json:"utsns_path,omitempty"`
	ResolvConf string `json:"resolv_conf,omitempty"`
}

// MountConfig is one host directory given to a task.
type MountConfig struct {
	// Volume is the group's volume label, for messages and the
	// APPMESH_VOLUME_<LABEL> variable.
	Volume   string `json:"volume"`
	HostPath string `json:"host_path"`
	// TaskPath is the absolute path the task sees the directory at.
	TaskPath string `json:"task_path"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// TaskHandle is returned by StartTask and stored by the client so that the
// task can be recovered later.
type TaskHandle struct {
	ID        string      `json:"id"`
	Driver    string      `json:"driver"`
	Config    *TaskConfig `json:"config"`
	PID       int         `json:"pid,omitempty"`
	StartedAt time.Time   `json:"started_at"`
	// DriverState is opaque, driver-owned recovery data.
	DriverState []byte `json:"driver_state,omitempty"`
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode  int    `json:"exit_code"`
	Signal    int    `json:"signal,omitempty"`
	OOMKilled bool   `json:"oom_killed,omitempty"`
	Err       string `json:"err,omitempty"`
}

// Successful reports a clean exit.
func (r *ExitResult) Successful() bool {
	return r.ExitCode == 0 && r.Signal == 0 && !r.OOMKilled && r.Err == ""
}

// Task states reported by InspectTask.
const (
	TaskStateUnknown = "unknown"
	TaskStateRunning = "running"
	TaskStateExited  = "exited"
)

// TaskStatus is a task's state as the driver sees it.
type TaskStatus struct {
	ID          string      `json:"id"`
	State       string      `json:"state"`
	PID         int         `json:"pid,omitempty"`
	StartedAt   time.Time   `json:"started_at"`
	CompletedAt time.Time   `json:"completed_at,omitempty"`
	ExitResult  *ExitResult `json:"exit_result,omitempty"`
}

// VolumeEnvName is the variable that tells a task where a volume is:
// APPMESH_VOLUME_<LABEL>, upper-cased, with anything but letters and
// digits as '_'.
func VolumeEnvName(label string) string {
	return "APPMESH_VOLUME_" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, label)
}
