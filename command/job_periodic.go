package command

import (
	"strings"
)

// JobPeriodicCommand groups the periodic job subcommands.
type JobPeriodicCommand struct{ Meta }

func (c *JobPeriodicCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "job periodic", synopsis: "Interact with periodic jobs"}
}
func (c *JobPeriodicCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *JobPeriodicCommand) Help() string          { return c.ns().Help() }
func (c *JobPeriodicCommand) Run(args []string) int { return c.ns().Run(args) }

// JobPeriodicForceCommand launches a periodic job now.
type JobPeriodicForceCommand struct{ Meta }

func (c *JobPeriodicForceCommand) Synopsis() string { return "Launch a periodic job now" }

func (c *JobPeriodicForceCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job periodic force [options] ID

  Launches the periodic job ID now, whatever its schedule and
  prohibit_overlap, as the child "<ID>/periodic-<unix time>" (meta
  appmesh.periodic.forced = "true"). The next scheduled launch is counted
  from this one.

` + generalOptions + jsonOption)
}

func (c *JobPeriodicForceCommand) Run(args []string) int {
	fs := c.flagSet("job periodic force", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Jobs().PeriodicForce(fs.Arg(0))
	if err != nil {
		return c.errorf("Error forcing a launch of job %q: %v", fs.Arg(0), err)
	}
	if c.json {
		if err := printJSON(c.Ui, resp); err != nil {
			return c.errorf("%v", err)
		}
		return exitOK
	}
	c.Ui.Output("Launched Job ID = " + resp.ChildJobID)
	c.Ui.Output("Evaluation ID   = " + resp.EvalID)
	return exitOK
}
