package command

import (
	"fmt"
	"strings"
)

// NodePurgeCommand removes a node from the servers' state.
type NodePurgeCommand struct{ Meta }

func (c *NodePurgeCommand) Synopsis() string { return "Remove a node from the cluster state" }

func (c *NodePurgeCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh node purge [options] NODE

  Removes the node (ID, ID prefix or name) from the servers' state, whatever
  its status. Its allocations are marked lost and placed on other nodes. A
  client still running on that machine registers again on its next
  heartbeat; stop its agent first to retire the machine. Needs node write.

` + generalOptions + jsonOption)
}

func (c *NodePurgeCommand) Run(args []string) int {
	fs := c.flagSet("node purge", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	node, err := resolveNode(client, fs.Arg(0))
	if err != nil {
		return c.errorf("%v", err)
	}
	out, err := client.Nodes().Purge(node.ID)
	if err != nil {
		return c.errorf("Error purging node %s: %v", node.Name, err)
	}
	if c.json {
		if err := printJSON(c.Ui, out); err != nil {
			return c.errorf("Error: %v", err)
		}
		return exitOK
	}
	c.Ui.Output(fmt.Sprintf("Node %s (%s) purged; %d evaluation(s) reschedule its work", node.Name, node.ID, len(out.EvalIDs)))
	return exitOK
}
