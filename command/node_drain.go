package command

import (
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// NodeDrainCommand starts or stops draining a node.
type NodeDrainCommand struct{ Meta }

func (c *NodeDrainCommand) Synopsis() string { return "Move work off a node, or stop doing so" }

func (c *NodeDrainCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh node drain [options] -enable|-disable NODE

  -enable marks the node ineligible for new work and moves its service
  allocations to other nodes: at once, or, for a group with a migrate block,
  max_parallel at a time, each batch once the previous replacements are
  healthy; batch allocations may finish until the deadline, then they (and
  any service allocation still waiting) are stopped too. -disable ends the drain; the node
  stays ineligible unless -keep-ineligible=false.

Node Drain Options:

  -enable             Start draining.
  -disable            Stop draining.
  -deadline=DURATION  How long batch work (and paced migrations) may keep
                      running (default 1h).
  -keep-ineligible    With -disable: leave the node ineligible (default true).

` + generalOptions)
}

func (c *NodeDrainCommand) Run(args []string) int {
	fs := c.flagSet("node drain", false)
	enable := fs.Bool("enable", false, "")
	disable := fs.Bool("disable", false, "")
	deadline := fs.Duration("deadline", time.Hour, "")
	keep := fs.Bool("keep-ineligible", true, "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	if *enable == *disable {
		return c.usageError(c.Help(), "give exactly one of -enable or -disable")
	}
	if *deadline < 0 {
		return c.usageError(c.Help(), "-deadline must not be negative")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	node, err := resolveNode(client, fs.Arg(0))
	if err != nil {
		return c.errorf("%v", err)
	}
	var strategy *structs.DrainStrategy
	if *enable {
		strategy = &structs.DrainStrategy{Deadline: structs.Duration(*deadline)}
	}
	if _, err := client.Nodes().Drain(node.ID, strategy, *disable && !*keep); err != nil {
		return c.errorf("Error updating drain of node %s: %v", node.Name, err)
	}
	if *enable {
		c.Ui.Output("Node " + node.Name + " is draining: its work is moving to other nodes")
	} else {
		c.Ui.Output("Node " + node.Name + ": drain stopped")
	}
	return exitOK
}

// NodeEligibilityCommand enables or disables scheduling on a node.
type NodeEligibilityCommand struct{ Meta }

func (c *NodeEligibilityCommand) Synopsis() string { return "Allow or forbid new work on a node" }

func (c *NodeEligibilityCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh node eligibility [options] -enable|-disable NODE

  -disable keeps new allocations off the node; what runs there stays.
  -enable makes it eligible again.

` + generalOptions)
}

func (c *NodeEligibilityCommand) Run(args []string) int {
	fs := c.flagSet("node eligibility", false)
	enable := fs.Bool("enable", false, "")
	disable := fs.Bool("disable", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	if *enable == *disable {
		return c.usageError(c.Help(), "give exactly one of -enable or -disable")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	node, err := resolveNode(client, fs.Arg(0))
	if err != nil {
		return c.errorf("%v", err)
	}
	if _, err := client.Nodes().ToggleEligibility(node.ID, *enable); err != nil {
		return c.errorf("Error updating eligibility of node %s: %v", node.Name, err)
	}
	state := "eligible"
	if *disable {
		state = "ineligible"
	}
	c.Ui.Output("Node " + node.Name + " is " + state)
	return exitOK
}
