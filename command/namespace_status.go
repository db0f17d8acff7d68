package command

import (
	"strings"
)

// NamespaceStatusCommand shows one namespace ("namespace status" and its
// alias "namespace info").
type NamespaceStatusCommand struct {
	Meta
	name string // the name the command was run by, for the help text
}

func (c *NamespaceStatusCommand) Synopsis() string { return "Show a namespace" }

func (c *NamespaceStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh namespace ` + c.name + ` [options] NAME

  Shows the namespace NAME: its description and meta.

` + generalOptions + jsonOption)
}

func (c *NamespaceStatusCommand) Run(args []string) int {
	fs := c.flagSet("namespace "+c.name, true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	ns, _, err := client.Namespaces().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading namespace %q: %v", fs.Arg(0), err)
	}
	if c.json {
		return c.outputJSON(ns)
	}
	c.Ui.Output(namespaceKV(ns))
	return exitOK
}
