package command

import "github.com/appmesh/appmesh/version"

// VersionCommand prints the version and the git commit of the binary.
type VersionCommand struct{ Meta }

func (c *VersionCommand) Synopsis() string { return "Print the appmesh version" }

func (c *VersionCommand) Help() string {
	return "Usage: appmesh version\n\n  Prints the version of appmesh and the git commit it was built from."
}

func (c *VersionCommand) Run(args []string) int {
	if len(args) > 0 {
		return c.usageError(c.Help(), "This command takes no arguments.")
	}
	c.Ui.Output(version.String())
	return exitOK
}
