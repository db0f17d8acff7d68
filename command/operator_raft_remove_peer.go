package command

import (
	"fmt"
	"strings"
)

// OperatorRaftRemovePeerCommand removes a server from the Raft peers.
type OperatorRaftRemovePeerCommand struct{ Meta }

func (c *OperatorRaftRemovePeerCommand) Synopsis() string {
	return "Remove a server from the Raft peers"
}

func (c *OperatorRaftRemovePeerCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh operator raft remove-peer [options] -peer-address ADDR | -peer-id ID

  Removes a server from the Raft configuration, by its RPC address or its
  Raft ID as "operator raft list-peers" shows them. Use it for a dead server
  that gossip cannot remove ("server force-leave" is the first thing to try).
  The leader cannot remove itself.

Remove Peer Options:

  -peer-address=<addr>
    The RPC address of the peer to remove, e.g. 10.0.0.3:6061.

  -peer-id=<id>
    The Raft ID of the peer to remove.

` + generalOptions)
}

func (c *OperatorRaftRemovePeerCommand) Run(args []string) int {
	fs := c.flagSet("operator raft remove-peer", false)
	addr := fs.String("peer-address", "", "")
	id := fs.String("peer-id", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	if (*addr == "") == (*id == "") {
		return c.usageError(c.Help(), "Give exactly one of -peer-address or -peer-id.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	what := "address " + *addr
	if *id != "" {
		what = "ID " + *id
		err = client.Operator().RaftRemovePeerByID(*id)
	} else {
		err = client.Operator().RaftRemovePeerByAddress(*addr)
	}
	if err != nil {
		return c.errorf("Error removing the Raft peer with %s: %v", what, err)
	}
	c.Ui.Output(fmt.Sprintf("Removed the Raft peer with %s", what))
	return exitOK
}
