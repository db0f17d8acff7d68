package command

import (
	"sort"
	"strings"

	"github.com/appmesh/appmesh/api"
)

// OperatorRaftListPeersCommand lists the Raft peers.
type OperatorRaftListPeersCommand struct{ Meta }

func (c *OperatorRaftListPeersCommand) Synopsis() string { return "List the Raft peers" }

func (c *OperatorRaftListPeersCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh operator raft list-peers [options]

  Lists the servers of the Raft configuration: node name, Raft ID, RPC
  address, state (leader or follower) and whether they vote.

List Peers Options:

  -stale
    Let the agent's server answer from its own view instead of asking the
    leader. Use it when the cluster has no leader (lost quorum).

` + generalOptions + jsonOption)
}

func (c *OperatorRaftListPeersCommand) Run(args []string) int {
	fs := c.flagSet("operator raft list-peers", true)
	stale := fs.Bool("stale", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	conf, err := client.Operator().RaftGetConfigurationOpts(&api.QueryOptions{AllowStale: *stale})
	if err != nil {
		return c.errorf("Error reading the Raft configuration: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, conf); err != nil {
			return c.errorf("Error: %v", err)
		}
		return exitOK
	}
	if len(conf.Servers) == 0 {
		c.Ui.Output("No Raft peers")
		return exitOK
	}
	peers := conf.Servers
	sort.SliceStable(peers, func(i, j int) bool { return peers[i].Address < peers[j].Address })
	rows := [][]string{{"Node", "ID", "Address", "State", "Voter"}}
	for _, p := range peers {
		state := "follower"
		if p.Leader {
			state = "leader"
		}
		rows = append(rows, []string{orDash(p.Node), p.ID, p.Address, state, yesNo(p.Voter)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}
