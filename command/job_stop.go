package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/api"
)

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
	live, err := liveAllocs(client, jobID)
	if err != nil {
		return c.errorf("Error stopping job %q: %v", jobID, err)
	}
	resp, _, err := client.Jobs().Deregister(jobID, purge)
	if err != nil {
		return c.errorf("Error stopping job %q: %v", jobID, err)
	}
	if len(live) == 0 && !detach {
		// Nothing runs: say so instead of "1 allocation(s) stopped" for
		// allocations that had finished long ago.
		msg := fmt.Sprintf("==> Job %q is already stopped: no allocation is running", jobID)
		if purge {
			msg += "; purged"
		}
		c.Ui.Output(msg)
		return exitOK
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
	return mon.monitorStop(resp.EvalID, jobID, live)
}

// liveAllocs returns the IDs of the job's allocations that have not
// finished on their nodes: the ones a stop actually stops.
func liveAllocs(client *api.Client, jobID string) (map[string]bool, error) {
	allocs, _, err := client.Jobs().Allocations(jobID, false, nil)
	if api.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	live := map[string]bool{}
	for _, a := range allocs {
		if !isClientTerminal(a.ClientStatus) {
			live[a.ID] = true
		}
	}
	return live, nil
}
