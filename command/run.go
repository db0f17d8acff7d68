package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// exitTimeout is the exit code of a run that hit -timeout (like timeout(1)).
const exitTimeout = 124

// exitInterrupted is the exit code of a run stopped by Ctrl-C (128+SIGINT).
const exitInterrupted = 130

// runPlacementTimeout bounds the wait for a run to be placed and started.
const runPlacementTimeout = 60 * time.Second

// RunCommand runs a one-off command on a node (remote run).
type RunCommand struct{ Meta }

func (c *RunCommand) Synopsis() string { return "Run a one-off command on a node" }

func (c *RunCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh run [options] -- COMMAND [ARGS...]
       appmesh run -attach ID [-offset N]

  Runs COMMAND with ARGS (as given, never through a shell) as a one-off
  batch job "run-<id>" on a node of the cluster.

  By default the run is synchronous: this command's standard input is
  streamed to the command's standard input, its stdout and stderr stream
  back as they are written, and this command exits with the command's exit
  code (1 with a message if it could not run, 124 after -timeout).

  Ctrl-C stops the remote command as well (exit 130).

  With -async it prints the run ID and returns; "appmesh run -attach ID"
  then prints the output (from byte -offset of stdout) and exits with the
  exit code once the command ended. Finished runs are removed after the
  servers' run_gc_after (default 1h).

Run Options:

  -node=<name>
    Run on the node with this name.

  -constraint='<attribute> <operator> <value>'
    Run on a node matching this constraint, e.g. '${attr.kernel.name} = linux'.

  -driver=<exec|raw_exec>
    The driver that runs the command. Default: exec.

  -user=<name>
    The OS user the command runs as on the node. Default: the client
    agent's user (root on most nodes), which with ACLs on needs the
    submit-privileged-job capability; an exec run as another user needs
    only submit-job.

  -timeout=<duration>
    Stop the command after this long and exit 124. Default: no limit.

  -async
    Print the run ID and return without waiting.

  -attach=<id>
    Print the output of an earlier run and exit with its exit code.

  -offset=<bytes>
    With -attach, start the stdout at this byte position.

` + generalOptions)
}

func (c *RunCommand) Run(args []string) int {
	fs := c.flagSet("run", false)
	var node, constraint, driver, attach, runUser string
	var async bool
	var timeout time.Duration
	var offset int64
	fs.StringVar(&node, "node", "", "")
	fs.StringVar(&constraint, "constraint", "", "")
	fs.StringVar(&driver, "driver", "exec", "")
	fs.StringVar(&runUser, "user", "", "")
	fs.DurationVar(&timeout, "timeout", 0, "")
	fs.BoolVar(&async, "async", false, "")
	fs.StringVar(&attach, "attach", "", "")
	fs.Int64Var(&offset, "offset", 0, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 1<<20); code >= 0 {
		return code
	}
	if timeout < 0 || offset < 0 {
		return c.usageError(c.Help(), "-timeout and -offset must not be negative")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if attach != "" {
		if fs.NArg() > 0 {
			return c.usageError(c.Help(), "-attach takes no command")
		}
		return c.attach(client, attach, offset, timeout)
	}
	argv := fs.Args()
	if len(argv) == 0 || argv[0] == "" {
		return c.usageError(c.Help(), "a command is required: appmesh run [options] -- COMMAND [ARGS...]")
	}
	if node != "" && constraint != "" {
		return c.usageError(c.Help(), "use either -node or -constraint, not both")
	}
	if driver != "exec" && driver != "raw_exec" {
		return c.usageError(c.Help(), "-driver must be exec or raw_exec, got %q", driver)
	}
	var cons []*structs.Constraint
	if node != "" {
		cons = append(cons, &structs.Constraint{Attribute: "${node.unique.name}", Operator: "=", Value: node})
	}
	if constraint != "" {
		con, err := parseRunConstraint(constraint)
		if err != nil {
			return c.usageError(c.Help(), "%v", err)
		}
		cons = append(cons, con)
	}
	job := runJob(argv, driver, runUser, cons, async)
	if _, _, err := client.Jobs().Register(job, nil); err != nil {
		return c.errorf("Error submitting the run: %v", err)
	}
	if async {
		c.Ui.Output(job.ID)
		return exitOK
	}
	return c.sync(client, job.ID, timeout)
}

// runJob is the one-off batch job of a run.
func runJob(argv []string, driver, user string, cons []*structs.Constraint, async bool) *structs.Job {
	args := make([]any, 0, len(argv)-1)
	for _, a := range argv[1:] {
		args = append(args, a)
	}
	mode := "sync"
	if async {
		mode = "async"
	}
	attempts := 0
	return &structs.Job{
		ID:   structs.RunJobPrefix + structs.ShortID(structs.GenerateID()),
		Type: structs.JobTypeBatch,
		Meta: map[string]string{structs.RunMetaKey: mode},
		Groups: []*structs.TaskGroup{{
			Name:        structs.RunGroup,
			Count:       1,
			Constraints: cons,
			Tasks: []*structs.Task{{
				Name:   structs.RunTask,
				Driver: driver,
				User:   user,
				Config: map[string]any{
					"command": argv[0],
					"args":    args,
					// Only a sync run has someone to write the input.
					"stdin": !async,
				},
				Restart: &structs.RestartPolicy{Attempts: &attempts, Mode: structs.RestartModeFail},
			}},
		}},
	}
}

// parseRunConstraint reads 'attribute operator value' or 'attribute value'.
func parseRunConstraint(s string) (*structs.Constraint, error) {
	f := strings.Fields(s)
	switch len(f) {
	case 2:
		return &structs.Constraint{Attribute: f[0], Operator: "=", Value: f[1]}, nil
	case 3:
		return &structs.Constraint{Attribute: f[0], Operator: f[1], Value: f[2]}, nil
	}
	return nil, fmt.Errorf("invalid -constraint %q: use 'ATTRIBUTE OPERATOR VALUE'", s)
}

// sync streams stdin in and the output out, and returns the exit code.
func (c *RunCommand) sync(client *api.Client, id string, timeout time.Duration) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var timedOut <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		timedOut = t.C
	}
	type result struct {
		code int
		err  error
	}
	// Ctrl-C stops the remote command too instead of leaving it behind.
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(interrupted)
	done := make(chan result, 1)
	go func() {
		code, err := c.follow(ctx, client, id)
		done <- result{code, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return c.errorf("appmesh run %s: %v", id, r.err)
		}
		return r.code
	case sig := <-interrupted:
		cancel()
		if _, _, err := client.Jobs().Deregister(id, false); err != nil {
			c.Ui.Error(fmt.Sprintf("appmesh run %s: stopping after %s: %v", id, sig, err))
		}
		c.Ui.Error(fmt.Sprintf("appmesh run %s: interrupted: the command was stopped", id))
		return exitInterrupted
	case <-timedOut:
		cancel()
		if _, _, err := client.Jobs().Deregister(id, false); err != nil {
			c.Ui.Error(fmt.Sprintf("appmesh run %s: stopping after the timeout: %v", id, err))
		}
		c.Ui.Error(fmt.Sprintf("appmesh run %s: timed out after %s: the command was stopped", id, timeout))
		return exitTimeout
	}
}

// follow waits for the run's allocation, streams stdin and output, and
// returns the task's exit code.
func (c *RunCommand) follow(ctx context.Context, client *api.Client, id string) (int, error) {
	allocID, err := waitRunAlloc(ctx, client, id)
	if err != nil {
		return exitError, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		// The task waits for its input; the client can take it once it
		// started the task (before that it may not know the allocation).
		started, err := waitRunStarted(ctx, client, allocID)
		if err == nil && started {
			err = client.Allocations().Stdin(ctx, allocID, structs.RunTask, os.Stdin)
		}
		if err != nil && ctx.Err() == nil && !strings.Contains(err.Error(), "has no stdin") {
			// Without its input the task could wait forever: stop it.
			_, _, _ = client.Jobs().Deregister(id, false)
			cancel(fmt.Errorf("sending stdin: %w (the run was stopped)", err))
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, lt := range []string{api.LogStdout, api.LogStderr} {
		w := c.out()
		if lt == api.LogStderr {
			w = c.errOut()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = streamRunLog(ctx, client, allocID, lt, 0, w)
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return exitError, err
	}
	if err := errors.Join(errs...); err != nil {
		return exitError, err
	}
	return waitRunExit(ctx, client, allocID)
}

// waitRunStarted waits until the run's task started (true) or ended
// without starting (false).
func waitRunStarted(ctx context.Context, client *api.Client, allocID string) (bool, error) {
	var index uint64
	for {
		a, meta, err := client.Allocations().Info(allocID, &api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second, Context: ctx})
		if err != nil {
			return false, err
		}
		ts := a.TaskStates[structs.RunTask]
		switch {
		case ts != nil && ts.State == structs.TaskStateRunning:
			return true, nil
		case ts != nil && ts.State == structs.TaskStateDead, a.ClientTerminalStatus():
			return false, nil
		}
		index = meta.LastIndex
	}
}

// waitRunAlloc waits until the run is placed and returns its allocation.
func waitRunAlloc(ctx context.Context, client *api.Client, id string) (string, error) {
	deadline := time.Now().Add(runPlacementTimeout)
	var index uint64
	for time.Now().Before(deadline) {
		allocs, meta, err := client.Jobs().Allocations(id, true, &api.QueryOptions{WaitIndex: index, WaitTime: 2 * time.Second, Context: ctx})
		if err != nil {
			return "", err
		}
		if len(allocs) > 0 {
			return allocs[0].ID, nil
		}
		if reason := runPlacementFailure(client, id); reason != "" {
			_, _, _ = client.Jobs().Deregister(id, false)
			return "", fmt.Errorf("could not place the run: %s", reason)
		}
		index = meta.LastIndex
	}
	_, _, _ = client.Jobs().Deregister(id, false)
	return "", fmt.Errorf("the run was not placed within %s", runPlacementTimeout)
}

// runPlacementFailure explains a run no node can take, "" otherwise.
func runPlacementFailure(client *api.Client, id string) string {
	evals, _, err := client.Jobs().Evaluations(id, nil)
	if err != nil {
		return ""
	}
	for _, e := range evals {
		if e.Status == structs.EvalStatusBlocked || e.Status == structs.EvalStatusFailed {
			// The run is stopped right after this: its status would no
			// longer show why, so the reason is given here in full.
			if lines := placementFailures(e, map[string]int{structs.RunGroup: 1}); len(lines) > 0 {
				return strings.Join(lines, "\n    ")
			}
			if e.StatusDescription != "" {
				return e.StatusDescription
			}
			return "no node fits its constraints"
		}
	}
	return ""
}

// streamRunLog copies a task's log from offset until the task is dead,
// waiting for the log to exist and resuming after a broken stream.
func streamRunLog(ctx context.Context, client *api.Client, allocID, logType string, offset int64, w io.Writer) error {
	for {
		rc, err := client.Allocations().Logs(ctx, allocID, structs.RunTask, logType, true, offset, api.OriginStart)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !strings.Contains(err.Error(), "not found") && !strings.Contains(err.Error(), "no such file") {
				return err
			}
			// The client has not set the task up yet.
			if !ctxsleep.Sleep(ctx, 100*time.Millisecond) {
				return nil
			}
			continue
		}
		n, err := io.Copy(w, rc)
		rc.Close()
		offset += n
		if err == nil || ctx.Err() != nil {
			return nil
		}
	}
}

// waitRunExit waits for the server to know the task's end.
func waitRunExit(ctx context.Context, client *api.Client, allocID string) (int, error) {
	var index uint64
	for {
		a, meta, err := client.Allocations().Info(allocID, &api.QueryOptions{WaitIndex: index, WaitTime: 5 * time.Second, Context: ctx})
		if err != nil {
			return exitError, err
		}
		if code, err, ok := runExit(a.TaskStates[structs.RunTask], a.ClientStatus); ok {
			return code, err
		}
		index = meta.LastIndex
	}
}

// runExit reads a finished run's exit code from its task state.
func runExit(ts *structs.TaskState, clientStatus string) (int, error, bool) {
	if clientStatus == structs.AllocClientLost {
		return exitError, errors.New("the node running the command was lost"), true
	}
	if ts == nil || ts.State != structs.TaskStateDead {
		return 0, nil, false
	}
	if ts.ExitCode != nil {
		return *ts.ExitCode, nil, true
	}
	msg := ts.LastError
	for i := len(ts.Events) - 1; msg == "" && i >= 0; i-- {
		msg = ts.Events[i].Error
	}
	if msg == "" {
		msg = "the command did not run"
	}
	return exitError, errors.New(msg), true
}

// attach prints an earlier run's output through GET /v1/run/<id> and exits
// with its exit code.
func (c *RunCommand) attach(client *api.Client, id string, offset int64, timeout time.Duration) int {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	var errOffset int64
	for {
		st, err := client.Runs().Get(id, offset, errOffset, nil)
		if err != nil {
			return c.errorf("appmesh run -attach %s: %v", id, err)
		}
		_, _ = io.WriteString(c.out(), st.Stdout)
		_, _ = io.WriteString(c.errOut(), st.Stderr)
		offset, errOffset = st.StdoutOffset, st.StderrOffset
		if st.Truncated {
			continue
		}
		if st.Status == structs.TaskStateDead {
			if st.ExitCode != nil {
				return *st.ExitCode
			}
			return c.errorf("appmesh run %s: %s", id, st.Error)
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return c.errorf("appmesh run -attach %s: still running after %s (continue with -offset %d)", id, timeout, offset)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
