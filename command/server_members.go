package command

import (
	"sort"
	"strings"
)

// ServerCommand groups the server membership subcommands.
type ServerCommand struct{ Meta }

func (c *ServerCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "server", synopsis: "List, join and remove servers"}
}
func (c *ServerCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *ServerCommand) Help() string          { return c.ns().Help() }
func (c *ServerCommand) Run(args []string) int { return c.ns().Run(args) }

// ServerMembersCommand lists the servers known through gossip.
type ServerMembersCommand struct{ Meta }

func (c *ServerMembersCommand) Synopsis() string { return "List the servers of the cluster" }

func (c *ServerMembersCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh server members [options]

  Lists the servers that the agent's server knows through gossip, with
  their gossip address, status (alive, suspect, failed, left), whether
  they lead the cluster, and their datacenter.

` + generalOptions + jsonOption)
}

func (c *ServerMembersCommand) Run(args []string) int {
	fs := c.flagSet("server members", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	members, err := client.Agent().Members()
	if err != nil {
		return c.errorf("Error querying servers: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, members); err != nil {
			return c.errorf("Error: %v", err)
		}
		return exitOK
	}
	if len(members) == 0 {
		c.Ui.Output("No servers known")
		return exitOK
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	rows := [][]string{{"Name", "Address", "Status", "Leader", "Datacenter"}}
	for _, m := range members {
		addr := m.Addr
		if addr == "" {
			addr = m.RPCAddr // a server without gossip (dev mode)
		}
		rows = append(rows, []string{m.Name, orDash(addr), m.Status, yesNo(m.Leader), orDash(m.Datacenter)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

func yesNo(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
