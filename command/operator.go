package command

// OperatorCommand groups the cluster operator subcommands.
type OperatorCommand struct{ Meta }

func (c *OperatorCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "operator", synopsis: "Operate the cluster: Raft peers and snapshots"}
}
func (c *OperatorCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *OperatorCommand) Help() string          { return c.ns().Help() }
func (c *OperatorCommand) Run(args []string) int { return c.ns().Run(args) }

// OperatorRaftCommand groups the Raft subcommands.
type OperatorRaftCommand struct{ Meta }

func (c *OperatorRaftCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "operator raft", synopsis: "List and remove Raft peers"}
}
func (c *OperatorRaftCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *OperatorRaftCommand) Help() string          { return c.ns().Help() }
func (c *OperatorRaftCommand) Run(args []string) int { return c.ns().Run(args) }

// OperatorSnapshotCommand groups the snapshot subcommands.
type OperatorSnapshotCommand struct{ Meta }

func (c *OperatorSnapshotCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "operator snapshot", synopsis: "Save and restore the cluster state"}
}
func (c *OperatorSnapshotCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *OperatorSnapshotCommand) Help() string          { return c.ns().Help() }
func (c *OperatorSnapshotCommand) Run(args []string) int { return c.ns().Run(args) }
