package command

// MeshCommand groups the service mesh's subcommands (mesh_ca.go; the
// traffic split commands add theirs under it).
type MeshCommand struct{ Meta }

func (c *MeshCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "mesh", synopsis: "The built-in service mesh: its CA and traffic management"}
}
func (c *MeshCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *MeshCommand) Help() string          { return c.ns().Help() }
func (c *MeshCommand) Run(args []string) int { return c.ns().Run(args) }
