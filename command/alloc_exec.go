package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/appmesh/appmesh/api"
)

// AllocExecCommand runs a command inside a task, interactively by default.
type AllocExecCommand struct{ Meta }

func (c *AllocExecCommand) Synopsis() string { return "Run a command inside a task" }

func (c *AllocExecCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh alloc exec [options] ID [TASK] -- COMMAND [ARGS...]

  Runs COMMAND inside TASK of the allocation with the given ID or unique ID
  prefix (TASK may be left out for a one-task allocation), in the task's
  context: its user, environment, working directory and, for exec, its
  cgroup; for docker, its container. COMMAND is run as given, never through
  a shell: use -- sh -c '...' for one. Any agent relays the session to the
  node that runs the allocation. The exit code is the command's (128+N when
  killed by signal N); 1 if it could not run.

  By default the session is interactive, like ssh: standard input is
  forwarded (-i) and, when standard input is a terminal, the command runs on
  a pseudo-terminal in the task (-t) while the local terminal is in raw mode
  (restored on exit) and follows its window size.

    appmesh alloc exec 5f3a web -- /bin/sh        # a shell in task web
    appmesh alloc exec -i=false 5f3a -- ls -l /   # output only

Exec Options:

  -i=<bool>
    Forward standard input to the command (default true). With -i=false
    and no -t the command runs to completion and its output is printed
    when it ends (a driver without interactive exec needs this).

  -t=<bool>
    Run the command on a pseudo-terminal (default: true when standard
    input is a terminal and -i is set).

  -timeout=<duration>
    Give up on the command after this long. Default: 5m with -i=false,
    no limit for an interactive session.

` + generalOptions)
}

// execArgs is what the command line asked for.
type execArgs struct {
	allocArg, task string
	cmd            []string
	interactive    bool
	tty            bool
	timeout        time.Duration
}

func (c *AllocExecCommand) Run(args []string) int {
	fs := c.flagSet("alloc exec", false)
	timeout := fs.Duration("timeout", 0, "")
	interactive := fs.Bool("i", true, "")
	stdinTerm := term.IsTerminal(int(os.Stdin.Fd()))
	tty := fs.Bool("t", stdinTerm, "")
	if code := c.parseFlags(fs, args, c.Help(), 2, 1<<20); code >= 0 {
		return code
	}
	ea := execArgs{interactive: *interactive, tty: *tty, timeout: *timeout}
	if !flagGiven(fs, "t") && !ea.interactive {
		ea.tty = false // -t follows -i unless given
	}
	rest := fs.Args()
	ea.allocArg, ea.cmd = rest[0], rest[1:]
	if len(ea.cmd) > 0 && ea.cmd[0] != "--" && len(ea.cmd) > 1 && ea.cmd[1] == "--" {
		ea.task, ea.cmd = ea.cmd[0], ea.cmd[2:]
	} else if len(ea.cmd) > 0 && ea.cmd[0] == "--" {
		ea.cmd = ea.cmd[1:]
	}
	if len(ea.cmd) == 0 || ea.cmd[0] == "" {
		return c.usageError(c.Help(), "missing command: give it after --")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	alloc, err := resolveAlloc(client, ea.allocArg)
	if err != nil {
		return c.errorf("%v", err)
	}
	if !ea.interactive && !ea.tty {
		return c.runOnce(client, alloc.ID, &ea)
	}
	code, err := c.runStream(client, alloc.ID, &ea, stdinTerm)
	var se *api.StatusError
	if err != nil && !ea.tty && errors.As(err, &se) && se.Code == http.StatusNotImplemented {
		// A driver without interactive exec can still run the command.
		fmt.Fprintf(c.errOut(), "%v; running it without input\n", err)
		return c.runOnce(client, alloc.ID, &ea)
	}
	if err != nil {
		return c.errorf("Error running %q in allocation %q: %v", strings.Join(ea.cmd, " "), alloc.ID, err)
	}
	return code
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// runOnce runs the command to completion and prints its output.
func (c *AllocExecCommand) runOnce(client *api.Client, allocID string, ea *execArgs) int {
	timeout := ea.timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	res, err := client.Allocations().Exec(allocID, ea.task, ea.cmd, timeout)
	if err != nil {
		return c.errorf("Error running %q in allocation %q: %v", strings.Join(ea.cmd, " "), allocID, err)
	}
	fmt.Fprint(c.out(), res.Stdout)
	fmt.Fprint(c.errOut(), res.Stderr)
	return res.ExitCode
}

// runStream runs an interactive session. With a tty and a terminal on
// stdin, the terminal is put in raw mode (keys such as Ctrl-C go to the
// remote command) and restored before returning.
func (c *AllocExecCommand) runStream(client *api.Client, allocID string, ea *execArgs, stdinTerm bool) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if ea.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, ea.timeout)
		defer cancel()
	}
	opts := &api.ExecStreamOptions{
		Task: ea.task, Command: ea.cmd, TTY: ea.tty,
		Stdout: c.out(), Stderr: c.errOut(),
	}
	if ea.interactive {
		opts.Stdin = os.Stdin
	}
	if ea.tty && stdinTerm {
		fd := int(os.Stdin.Fd())
		if w, h, err := term.GetSize(fd); err == nil {
			opts.Size = &api.TerminalSize{Height: uint16(h), Width: uint16(w)}
		}
		state, err := term.MakeRaw(fd)
		if err != nil {
			return 0, fmt.Errorf("put the terminal in raw mode: %w", err)
		}
		defer term.Restore(fd, state)
		resize := make(chan api.TerminalSize, 1)
		stop := followWindowSize(ctx, fd, resize)
		defer stop()
		opts.Resize = resize
	} else {
		// Without a remote terminal, Ctrl-C ends the session (and so the
		// command) rather than leaving it running.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt)
		defer signal.Stop(sigs)
		go func() {
			select {
			case <-sigs:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return client.Allocations().ExecStream(ctx, allocID, opts)
}
