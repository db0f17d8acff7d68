package command

import "strings"

// JobStopCommand stops a job and waits for its allocations to stop.
type JobStopCommand struct{ Meta }

func (c *JobStopCommand) Synopsis() string { return "Stop a job" }

func (c *JobStopCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job stop [options] ID

  Stops the job's allocations. Unless -detach is given, it waits until every
  allocation has stopped on its node.

Stop Options:

  -purge
    Also remove the job from the cluster state, so that its history is gone
    and the ID starts afresh.

  -detach
    Print the evaluation ID and return without waiting.

  -timeout=<duration>
    How long to wait for the allocations to stop. Default: 30s.

` + generalOptions)
}

func (c *JobStopCommand) Run(args []string) int {
	fs := c.flagSet("job stop", false)
	var purge, detach bool
	fs.BoolVar(&purge, "purge", false, "")
	fs.BoolVar(&detach, "detach", false, "")
	timeout := fs.Duration("timeout", defaultMonitorTimeout, "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	if *timeout <= 0 {
		return c.usageError(c.Help(), "-timeout must be positive, got %s", *timeout)
	}
	jobID := fs.Arg(0)
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Jobs().Deregister(jobID, purge)
	if err != nil {
		return c.errorf("Error stopping job %q: %v", jobID, err)
	}
	if detach || resp.EvalID == "" {
		// No evaluation means nothing was left to stop.
		c.Ui.Output("Job stop successful")
		if resp.EvalID != "" {
			c.Ui.Output("Evaluation ID: " + resp.EvalID)
		}
		return exitOK
	}
	mon, cancel := newMonitor(c.Ui, client, *timeout)
	defer cancel()
	return mon.monitorStop(resp.EvalID, jobID)
}
