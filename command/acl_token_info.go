package command

import (
	"strings"
)

// ACLTokenInfoCommand shows one token, without its secret.
type ACLTokenInfoCommand struct{ Meta }

func (c *ACLTokenInfoCommand) Synopsis() string { return "Show an ACL token" }

func (c *ACLTokenInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl token info [options] ACCESSOR_ID

  Shows the token whose accessor ID is ACCESSOR_ID: its name, type,
  policies, roles and expiry. The secret is never shown.

` + generalOptions + jsonOption)
}

func (c *ACLTokenInfoCommand) Run(args []string) int {
	fs := c.flagSet("acl token info", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	token, _, err := client.ACLTokens().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading token %q: %v", fs.Arg(0), err)
	}
	if c.json {
		return c.outputJSON(token)
	}
	c.Ui.Output(tokenKV(token))
	return exitOK
}
