package command

import (
	"sort"
	"strings"
)

// ACLTokenListCommand lists the tokens, without secrets.
type ACLTokenListCommand struct{ Meta }

func (c *ACLTokenListCommand) Synopsis() string { return "List ACL tokens" }

func (c *ACLTokenListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl token list [options]

  Lists every token by name, type and accessor ID. Secrets are never
  listed.

` + generalOptions + jsonOption)
}

func (c *ACLTokenListCommand) Run(args []string) int {
	fs := c.flagSet("acl token list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	tokens, _, err := client.ACLTokens().List(nil)
	if err != nil {
		return c.errorf("Error listing tokens: %v", err)
	}
	if c.json {
		return c.outputJSON(tokens)
	}
	if len(tokens) == 0 {
		c.Ui.Output("No tokens")
		return exitOK
	}
	sort.Slice(tokens, func(i, j int) bool {
		if tokens[i].Name != tokens[j].Name {
			return tokens[i].Name < tokens[j].Name
		}
		return tokens[i].AccessorID < tokens[j].AccessorID
	})
	rows := [][]string{{"Name", "Type", "Accessor ID", "Policies", "Roles", "Expiry Time"}}
	for _, t := range tokens {
		rows = append(rows, []string{orDash(t.Name), t.Type, t.AccessorID,
			listOrDash(t.Policies), listOrDash(t.Roles), timeOrDash(t.ExpirationTime)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}
