package command

import (
	"fmt"
	"strings"
)

// ServerJoinCommand makes the agent's server join other servers.
type ServerJoinCommand struct{ Meta }

func (c *ServerJoinCommand) Synopsis() string { return "Join the agent's server to other servers" }

func (c *ServerJoinCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh server join [options] ADDR...

  Makes the agent's server join the servers at the given gossip addresses
  (host:port, the -gossip-port of those servers, default 6062). Joining one
  server of a cluster is enough: gossip finds the others.

` + generalOptions)
}

func (c *ServerJoinCommand) Run(args []string) int {
	fs := c.flagSet("server join", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1<<16); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	n, err := client.Agent().Join(fs.Args()...)
	if err != nil {
		return c.errorf("Error joining %s: %v", strings.Join(fs.Args(), ", "), err)
	}
	if n == 0 {
		return c.errorf("Error joining %s: no server answered", strings.Join(fs.Args(), ", "))
	}
	c.Ui.Output(fmt.Sprintf("Joined %d server(s)", n))
	return exitOK
}
