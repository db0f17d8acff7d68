package command

import (
	"strings"
)

// AllocSignalCommand sends a signal to the tasks of an allocation.
type AllocSignalCommand struct{ Meta }

func (c *AllocSignalCommand) Synopsis() string { return "Send a signal to an allocation's tasks" }

func (c *AllocSignalCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh alloc signal [options] ID [TASK]

  Sends a signal to TASK of the allocation with the given ID or unique ID
  prefix, or to all its tasks. The agent addressed must run the
  allocation's node.

Signal Options:

  -s=<signal>
    The signal to send, by name (SIGHUP, SIGUSR1, ...). Default SIGKILL.

` + generalOptions)
}

func (c *AllocSignalCommand) Run(args []string) int {
	fs := c.flagSet("alloc signal", false)
	sig := fs.String("s", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 2); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	alloc, err := resolveAlloc(client, fs.Arg(0))
	if err != nil {
		return c.errorf("%v", err)
	}
	signal := strings.ToUpper(*sig)
	if signal != "" && !strings.HasPrefix(signal, "SIG") {
		signal = "SIG" + signal
	}
	if err := client.Allocations().Signal(alloc.ID, fs.Arg(1), signal); err != nil {
		return c.errorf("Error signalling allocation %q: %v", alloc.ID, err)
	}
	return exitOK
}
