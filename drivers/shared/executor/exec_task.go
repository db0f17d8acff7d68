package executor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/appmesh/appmesh/drivers"
)

// maxExecOutput caps what ExecTask keeps of each stream; the rest is dropped
// so that a chatty command cannot blow up the plugin's memory.
const maxExecOutput = 4 << 20

// cappedBuffer keeps the first max bytes written to it.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// Exec runs cmd in the task's context: its isolation (cgroup), user,
// environment and working directory. The command runs in its own process
// group, killed whole at the timeout.
func (e *Executor) Exec(id string, cmd []string, timeout time.Duration) (*drivers.ExecResult, error) {
	t, err := e.lookup(id)
	if err != nil {
		return nil, err
	}
	if len(cmd) == 0 || cmd[0] == "" {
		return nil, fmt.Errorf("task %s: exec: command is required", id)
	}
	if t.exited() {
		return nil, fmt.Errorf("task %s: exec: task is not running", id)
	}
	spec := t.execSpec()
	path, err := t.resolve(cmd[0], spec)
	if err != nil {
		return nil, fmt.Errorf("task %s: exec: %w", id, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
	}
	defer cancel()
	return e.runInTask(ctx, t, spec, path, cmd)
}

// resolve finds an exec'd command where it will run: inside the task's
// root for a task with its own namespaces.
func (t *task) resolve(command string, spec *launchSpec) (string, error) {
	var path string
	err := t.inTask(func(func() error) error {
		var err error
		path, err = resolveCommand(command, spec.dir, envPath(spec.env))
		return err
	})
	return path, err
}

// execSpec is the task's env, user and dir, or safe defaults when the task
// was recovered from a config that no longer resolves.
func (t *task) execSpec() *launchSpec {
	if t.spec != nil {
		return t.spec
	}
	return &launchSpec{dir: "/", env: buildEnv(t.cfg.Env, "", "")}
}

func (e *Executor) runInTask(ctx context.Context, t *task, spec *launchSpec, path string, argv []string) (*drivers.ExecResult, error) {
	id := t.id
	c := exec.CommandContext(ctx, path, argv[1:]...)
	c.Args[0] = argv[0]
	c.Env, c.Dir = spec.env, spec.dir
	stdout, stderr := &cappedBuffer{max: maxExecOutput}, &cappedBuffer{max: maxExecOutput}
	c.Stdout, c.Stderr = stdout, stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: spec.cred}
	c.Cancel = func() error { return unix.Kill(-c.Process.Pid, unix.SIGKILL) }
	c.WaitDelay = time.Second
	started, err := e.isolation.Join(id, c.SysProcAttr)
	if err != nil {
		return nil, fmt.Errorf("task %s: exec: joining isolation: %w", id, err)
	}
	err = t.startInTask(c.SysProcAttr, started, func() (int, error) {
		// A bridge-mode task's command runs in the allocation's network.
		if err := inNamespaces(t.execNamespaces(), c.Start); err != nil {
			return 0, fmt.Errorf("starting %s: %w", path, err)
		}
		return c.Process.Pid, nil
	})
	if err != nil {
		if c.Process != nil {
			_ = unix.Kill(-c.Process.Pid, unix.SIGKILL)
			_ = c.Wait()
		}
		return nil, fmt.Errorf("task %s: exec: %w", id, err)
	}
	werr := c.Wait()
	res := &drivers.ExecResult{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if ctx.Err() == context.DeadlineExceeded {
		return res, fmt.Errorf("task %s: exec: %s timed out", id, argv[0])
	}
	var exitErr *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &exitErr):
		res.ExitCode, _ = exitStatus(exitErr.ProcessState)
	default:
		return res, fmt.Errorf("task %s: exec: %w", id, werr)
	}
	return res, nil
}
