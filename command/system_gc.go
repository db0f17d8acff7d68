package command

import (
	"fmt"
	"strings"
)

// SystemCommand groups the cluster maintenance subcommands.
type SystemCommand struct{ Meta }

func (c *SystemCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "system", synopsis: "Cluster maintenance: garbage collection"}
}
func (c *SystemCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *SystemCommand) Help() string          { return c.ns().Help() }
func (c *SystemCommand) Run(args []string) int { return c.ns().Run(args) }

// SystemGCCommand forces a garbage collection.
type SystemGCCommand struct{ Meta }

func (c *SystemGCCommand) Synopsis() string {
	return "Collect finished jobs, evaluations, allocations and down nodes now"
}

func (c *SystemGCCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh system gc [options]

  Runs a garbage collection on the leader with every threshold at zero:
  stopped and dead jobs, finished evaluations and allocations, down nodes
  that run nothing and expired ACL tokens are deleted now instead of after
  their server { *_gc_threshold }. Nothing still referenced is deleted: a
  job with live allocations, an evaluation whose allocations still run, a
  node with work on it. Needs operator write.

` + generalOptions + jsonOption)
}

func (c *SystemGCCommand) Run(args []string) int {
	fs := c.flagSet("system gc", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	out, err := client.System().GarbageCollect()
	if err != nil {
		return c.errorf("Error running garbage collection: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, out); err != nil {
			return c.errorf("Error: %v", err)
		}
		return exitOK
	}
	n := out.Collected
	c.Ui.Output(fmt.Sprintf("Garbage collected: %d job(s), %d evaluation(s), %d allocation(s), %d node(s), %d ACL token(s)",
		n.Jobs, n.Evals, n.Allocs, n.Nodes, n.ACLTokens))
	return exitOK
}
