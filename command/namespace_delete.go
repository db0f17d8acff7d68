package command

import (
	"fmt"
	"strings"
)

// NamespaceDeleteCommand deletes a namespace.
type NamespaceDeleteCommand struct{ Meta }

func (c *NamespaceDeleteCommand) Synopsis() string { return "Delete a namespace" }

func (c *NamespaceDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh namespace delete [options] NAME

  Deletes the namespace NAME. The "default" namespace cannot be deleted.

` + generalOptions)
}

func (c *NamespaceDeleteCommand) Run(args []string) int {
	fs := c.flagSet("namespace delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.Namespaces().Delete(fs.Arg(0)); err != nil {
		return c.errorf("Error deleting namespace %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Successfully deleted namespace %q", fs.Arg(0)))
	return exitOK
}
