package command

import (
	"fmt"
	"strings"
)

// ACLTokenDeleteCommand revokes a token.
type ACLTokenDeleteCommand struct{ Meta }

func (c *ACLTokenDeleteCommand) Synopsis() string { return "Delete (revoke) an ACL token" }

func (c *ACLTokenDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl token delete [options] ACCESSOR_ID

  Deletes the token whose accessor ID is ACCESSOR_ID; its secret stops
  working at once.

` + generalOptions)
}

func (c *ACLTokenDeleteCommand) Run(args []string) int {
	fs := c.flagSet("acl token delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.ACLTokens().Delete(fs.Arg(0)); err != nil {
		return c.errorf("Error deleting token %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Successfully deleted token %q", fs.Arg(0)))
	return exitOK
}
