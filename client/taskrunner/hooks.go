package taskrunner

import (
	"context"
	"fmt"
	"os"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// The task runner's life is a fixed sequence of phases; everything that is
// not the driver call itself lives in a hook so the loop stays short and new
// behaviour (artifacts, templates, Consul services, ...) plugs in without
// touching it. A hook implements one or more of the phase interfaces.
type hook interface {
	Name() string
}

// prestartHook prepares the task before the driver starts it. It may fill
// in the driver's TaskConfig; an error fails the task with a Setup Failure.
type prestartHook interface {
	hook
	Prestart(ctx context.Context, cfg *drivers.TaskConfig) error
}

// poststartHook runs after the driver started the task.
type poststartHook interface {
	hook
	Poststart(ctx context.Context, handle *drivers.TaskHandle) error
}

// exitedHook runs once the task's process has exited.
type exitedHook interface {
	hook
	Exited(ctx context.Context, res *drivers.ExitResult) error
}

// stopHook runs last, after the driver released the task.
type stopHook interface {
	hook
	Stop(ctx context.Context) error
}

// taskDirHook creates the task's working directory inside the allocation.
type taskDirHook struct {
	allocDir *allocdir.AllocDir
	task     string
}

func (h *taskDirHook) Name() string { return "task_dir" }

func (h *taskDirHook) Prestart(_ context.Context, cfg *drivers.TaskConfig) error {
	dir, err := h.allocDir.BuildTaskDir(h.task)
	if err != nil {
		return err
	}
	cfg.AllocDir = h.allocDir.Dir
	cfg.TaskDir = dir
	return nil
}

// logsHook creates the task's stdout and stderr files up front, so that log
// readers can open them before the first byte is written. Existing files
// are appended to, never truncated.
type logsHook struct {
	allocDir *allocdir.AllocDir
	task     string
	logs     *structs.LogConfig // rotation; nil: none
}

func (h *logsHook) Name() string { return "logs" }

func (h *logsHook) Prestart(_ context.Context, cfg *drivers.TaskConfig) error {
	cfg.StdoutPath = h.allocDir.LogPath(h.task, allocdir.LogStdout)
	cfg.StderrPath = h.allocDir.LogPath(h.task, allocdir.LogStderr)
	if h.logs != nil {
		cfg.LogMaxFiles, cfg.LogMaxFileSizeMB = h.logs.MaxFiles, h.logs.MaxFileSizeMB
	}
	for _, p := range []string{cfg.StdoutPath, cfg.StderrPath} {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("create log file: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("close log file: %w", err)
		}
	}
	return nil
}

// envHook sets the task's environment. It runs after taskDirHook because
// the environment names the task's directories.
type envHook struct {
	tr *TaskRunner
}

func (h *envHook) Name() string { return "env" }

func (h *envHook) Prestart(_ context.Context, cfg *drivers.TaskConfig) error {
	cfg.Env = buildEnv(h.tr.task, h.tr.alloc, cfg.AllocDir, cfg.TaskDir)
	addMetaEnv(cfg.Env, h.tr.meta)
	// The driver maps the allocation's ports (docker `ports = [...]`).
	for _, p := range h.tr.alloc.AllocatedPorts {
		if cfg.Ports == nil {
			cfg.Ports = map[string]int{}
		}
		cfg.Ports[p.Label] = p.Value
		if p.To > 0 {
			if cfg.PortsTo == nil {
				cfg.PortsTo = map[string]int{}
			}
			cfg.PortsTo[p.Label] = p.To
		}
	}
	if n := h.tr.network; n != nil {
		if n.Err != nil {
			return fmt.Errorf("bridge network: %w", n.Err)
		}
		cfg.NetNSPath, cfg.UTSNSPath, cfg.ResolvConf = n.NetNSPath, n.UTSPath, n.ResolvConf
	}
	return nil
}
