package command

import (
	"sort"
	"strings"
)

// NamespaceListCommand lists the namespaces.
type NamespaceListCommand struct{ Meta }

func (c *NamespaceListCommand) Synopsis() string { return "List namespaces" }

func (c *NamespaceListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh namespace list [options]

  Lists the namespaces the token may see, with their descriptions.

` + generalOptions + jsonOption)
}

func (c *NamespaceListCommand) Run(args []string) int {
	fs := c.flagSet("namespace list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	list, _, err := client.Namespaces().List(nil)
	if err != nil {
		return c.errorf("Error listing namespaces: %v", err)
	}
	if c.json {
		return c.outputJSON(list)
	}
	if len(list) == 0 {
		c.Ui.Output("No namespaces")
		return exitOK
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	rows := [][]string{{"Name", "Description"}}
	for _, ns := range list {
		rows = append(rows, []string{ns.Name, orDash(ns.Description)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}
