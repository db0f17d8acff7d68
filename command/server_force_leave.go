package command

import (
	"fmt"
	"strings"
)

// ServerForceLeaveCommand removes a failed server from the cluster.
type ServerForceLeaveCommand struct{ Meta }

func (c *ServerForceLeaveCommand) Synopsis() string { return "Remove a failed server from the cluster" }

func (c *ServerForceLeaveCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh server force-leave [options] NODE

  Marks the server named NODE (its -node name, as "server members" shows it)
  as left, so that the leader removes it from the Raft peers and it no
  longer counts towards the quorum. Use it for a server that died and will
  not come back; a server that is still running rejoins through gossip.

` + generalOptions)
}

func (c *ServerForceLeaveCommand) Run(args []string) int {
	fs := c.flagSet("server force-leave", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	node := fs.Arg(0)
	if err := client.Agent().ForceLeave(node); err != nil {
		return c.errorf("Error removing server %q: %v", node, err)
	}
	c.Ui.Output(fmt.Sprintf("Server %q marked as left", node))
	return exitOK
}
