package command

import (
	"fmt"
	"strings"
)

// AllocStopCommand stops an allocation; the scheduler replaces it.
type AllocStopCommand struct{ Meta }

func (c *AllocStopCommand) Synopsis() string { return "Stop an allocation and have it replaced" }

func (c *AllocStopCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh alloc stop [options] ID

  Stops the allocation with the given ID or unique ID prefix. The servers
  mark it desired-stop and evaluate its job, so that the scheduler places a
  replacement (service and system jobs).

` + generalOptions)
}

func (c *AllocStopCommand) Run(args []string) int {
	fs := c.flagSet("alloc stop", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
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
	resp, err := client.Allocations().Stop(alloc.ID)
	if err != nil {
		return c.errorf("Error stopping allocation %q: %v", alloc.ID, err)
	}
	msg := fmt.Sprintf("Allocation %q stopped", alloc.ID)
	if resp.EvalID != "" {
		msg += fmt.Sprintf("; evaluation %q places its replacement", resp.EvalID)
	}
	c.Ui.Output(msg)
	return exitOK
}
