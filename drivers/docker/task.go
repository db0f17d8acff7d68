package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/shared/logging"
)

// task is one container the driver watches.
type task struct {
	id          string
	cfg         *drivers.TaskConfig
	containerID string
	startedAt   time.Time
	done        chan struct{}
	logsDone    chan struct{}
	stopLogs    context.CancelFunc

	mu          sync.Mutex
	result      *drivers.ExitResult
	completedAt time.Time
	lastCPU     uint64
	lastSeen    time.Time
}

// driverState is the handle's recovery data.
type driverState struct {
	ContainerID string `json:"container_id"`
}

func (t *task) handle() (*drivers.TaskHandle, error) {
	st, err := json.Marshal(driverState{ContainerID: t.containerID})
	if err != nil {
		return nil, fmt.Errorf("encoding driver state: %w", err)
	}
	return &drivers.TaskHandle{ID: t.id, Driver: Name, Config: t.cfg, StartedAt: t.startedAt, DriverState: st}, nil
}

func (t *task) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// openWriter opens a log stream's destination: rotated files when the task
// asks for rotation, else the file itself, appended.
func openWriter(cfg *drivers.TaskConfig, path string) (io.WriteCloser, error) {
	if path == "" {
		return nopCloser{io.Discard}, nil
	}
	if cfg.LogMaxFiles > 0 && cfg.LogMaxFileSizeMB > 0 {
		return logging.NewRotator(path, cfg.LogMaxFiles, cfg.LogMaxFileSizeMB)
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// followLogs copies the container's output into the task's log files from
// since on, until the container stops or stopLogs is called.
func (d *Driver) followLogs(c *client.Client, t *task, since time.Time) error {
	stdout, err := openWriter(t.cfg, t.cfg.StdoutPath)
	if err != nil {
		return fmt.Errorf("stdout: %w", err)
	}
	stderr, err := openWriter(t.cfg, t.cfg.StderrPath)
	if err != nil {
		stdout.Close()
		return fmt.Errorf("stderr: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.stopLogs, t.logsDone = cancel, make(chan struct{})
	opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	go func() {
		defer close(t.logsDone)
		defer stdout.Close()
		defer stderr.Close()
		rc, err := c.ContainerLogs(ctx, t.containerID, opts)
		if err != nil {
			d.logger.Warn("following container logs failed", "task_id", t.id, "error", err)
			return
		}
		defer rc.Close()
		if _, err := stdcopy.StdCopy(stdout, stderr, rc); err != nil && ctx.Err() == nil {
			d.logger.Warn("copying container logs failed", "task_id", t.id, "error", err)
		}
	}()
	return nil
}

// watch waits for the container to stop, lets the log copy finish and
// records how the container ended (exit code, OOM kill) from its state.
func (d *Driver) watch(c *client.Client, t *task) {
	wait := c.ContainerWait(context.Background(), t.containerID, client.ContainerWaitOptions{})
	var res drivers.ExitResult
	select {
	case r := <-wait.Result:
		res.ExitCode = int(r.StatusCode)
	case err := <-wait.Error:
		res.ExitCode, res.Err = -1, fmt.Sprintf("waiting for container: %v", err)
	}
	<-t.logsDone
	ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
	defer cancel()
	if in, err := c.ContainerInspect(ctx, t.containerID, client.ContainerInspectOptions{}); err == nil && in.Container.State != nil {
		st := in.Container.State
		res.ExitCode = st.ExitCode
		if st.OOMKilled {
			res.OOMKilled, res.Err = true, "OOM killed"
		} else if st.Error != "" {
			res.Err = st.Error
		}
	}
	t.mu.Lock()
	t.result, t.completedAt = &res, time.Now()
	t.mu.Unlock()
	close(t.done)
}
