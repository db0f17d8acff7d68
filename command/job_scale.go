package command

import (
	"fmt"
	"strconv"
	"strings"
)

// JobScaleCommand sets one group's count.
type JobScaleCommand struct{ Meta }

func (c *JobScaleCommand) Synopsis() string { return "Change the count of a job's group" }

func (c *JobScaleCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job scale [options] JOB GROUP COUNT

  Sets the count of one group of a running job. The job is registered again
  with only that count changed (a new version in job history). When the
  group has a scaling block, COUNT must lie between its min and max. The
  token needs the scale-job or the submit-job capability.

  Unless -detach is given, it waits for the scheduler's evaluation and
  reports placements that did not fit.

Scale Options:

  -detach
    Print the evaluation ID and return without waiting.

  -timeout=<duration>
    How long to wait for the evaluation. Default: 30s.

` + generalOptions)
}

func (c *JobScaleCommand) Run(args []string) int {
	fs := c.flagSet("job scale", false)
	var detach bool
	fs.BoolVar(&detach, "detach", false, "")
	timeout := fs.Duration("timeout", defaultMonitorTimeout, "")
	if code := c.parseFlags(fs, args, c.Help(), 3, 3); code >= 0 {
		return code
	}
	jobID, group := fs.Arg(0), fs.Arg(1)
	count, err := strconv.Atoi(fs.Arg(2))
	if err != nil || count < 0 {
		return c.usageError(c.Help(), "COUNT must be a whole number of at least 0, got %q", fs.Arg(2))
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Jobs().Scale(jobID, group, count)
	if err != nil {
		return c.errorf("Error scaling group %q of job %q: %v", group, jobID, err)
	}
	c.Ui.Output(fmt.Sprintf("==> Group %q of job %q scaled to %d", group, jobID, count))
	if detach || resp.EvalID == "" {
		if resp.EvalID != "" {
			c.Ui.Output("Evaluation ID: " + resp.EvalID)
		}
		return exitOK
	}
	job, _, err := client.Jobs().Info(jobID, nil)
	if err != nil {
		return c.errorf("Error reading job %q: %v", jobID, err)
	}
	mon, cancel := newMonitor(c.Ui, client, *timeout)
	defer cancel()
	eval, err := mon.waitEval(resp.EvalID)
	if err != nil {
		return mon.failed(err, jobID)
	}
	// The monitor has already said how the evaluation finished.
	if code, done := mon.evalProblem(eval, job); done {
		return code
	}
	return exitOK
}
