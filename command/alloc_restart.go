package command

import (
	"strings"
)

// AllocRestartCommand restarts the tasks of an allocation in place.
type AllocRestartCommand struct{ Meta }

func (c *AllocRestartCommand) Synopsis() string { return "Restart an allocation's tasks in place" }

func (c *AllocRestartCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh alloc restart [options] ID [TASK]

  Restarts TASK of the allocation with the given ID or unique ID prefix, or
  all its tasks, on the same node. The restart is not counted against the
  task's restart policy. The agent addressed must run the allocation's node.

` + generalOptions)
}

func (c *AllocRestartCommand) Run(args []string) int {
	fs := c.flagSet("alloc restart", false)
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
	if err := client.Allocations().Restart(alloc.ID, fs.Arg(1)); err != nil {
		return c.errorf("Error restarting allocation %q: %v", alloc.ID, err)
	}
	return exitOK
}
