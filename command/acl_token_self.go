package command

import (
	"strings"
)

// ACLTokenSelfCommand shows the token the command is run with.
type ACLTokenSelfCommand struct{ Meta }

func (c *ACLTokenSelfCommand) Synopsis() string { return "Show the token in use" }

func (c *ACLTokenSelfCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl token self [options]

  Shows the token given by -token or APPMESH_TOKEN: its accessor ID, type,
  policies, roles and expiry. Useful to check which rights a secret has.

` + generalOptions + jsonOption)
}

func (c *ACLTokenSelfCommand) Run(args []string) int {
	fs := c.flagSet("acl token self", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	token, _, err := client.ACLTokens().Self(nil)
	if err != nil {
		return c.errorf("Error reading the token in use: %v", err)
	}
	if c.json {
		return c.outputJSON(token)
	}
	c.Ui.Output(tokenKV(token))
	return exitOK
}
