package command

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// AllocExecCommand runs a command inside a task (non-interactive).
type AllocExecCommand struct{ Meta }

func (c *AllocExecCommand) Synopsis() string { return "Run a command inside a task" }

func (c *AllocExecCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh alloc exec [options] ID [TASK] -- COMMAND [ARGS...]

  Runs COMMAND inside TASK of the allocation with the given ID or unique ID
  prefix (TASK may be left out for a one-task allocation), in the task's
  environment, and prints its output. The exit code is the command's. Input
  is not forwarded: interactive sessions (-i -t) are not supported yet.
  The agent addressed must run the allocation's node.

Exec Options:

  -timeout=<duration>
    Give up on the command after this long (default 5m).

` + generalOptions)
}

func (c *AllocExecCommand) Run(args []string) int {
	fs := c.flagSet("alloc exec", false)
	timeout := fs.Duration("timeout", 5*time.Minute, "")
	interactive := fs.Bool("i", false, "")
	tty := fs.Bool("t", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 2, 1<<20); code >= 0 {
		return code
	}
	if *interactive || *tty {
		return c.usageError(c.Help(), "-i and -t are not supported yet: run a non-interactive command")
	}
	rest := fs.Args()
	allocArg, task, cmd := rest[0], "", rest[1:]
	if len(cmd) > 0 && cmd[0] != "--" && len(cmd) > 1 && cmd[1] == "--" {
		task, cmd = cmd[0], cmd[2:]
	} else if len(cmd) > 0 && cmd[0] == "--" {
		cmd = cmd[1:]
	}
	if len(cmd) == 0 {
		return c.usageError(c.Help(), "missing command: give it after --")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	alloc, err := resolveAlloc(client, allocArg)
	if err != nil {
		return c.errorf("%v", err)
	}
	res, err := client.Allocations().Exec(alloc.ID, task, cmd, *timeout)
	if err != nil {
		return c.errorf("Error running %q in allocation %q: %v", strings.Join(cmd, " "), alloc.ID, err)
	}
	fmt.Fprint(c.out(), res.Stdout)
	fmt.Fprint(os.Stderr, res.Stderr)
	return res.ExitCode
}
