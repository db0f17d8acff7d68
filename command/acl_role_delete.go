package command

import (
	"fmt"
	"strings"
)

// ACLRoleDeleteCommand deletes a role.
type ACLRoleDeleteCommand struct{ Meta }

func (c *ACLRoleDeleteCommand) Synopsis() string { return "Delete an ACL role" }

func (c *ACLRoleDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl role delete [options] ID

  Deletes the role with ID. Tokens that carry it lose its policies at once.

` + generalOptions)
}

func (c *ACLRoleDeleteCommand) Run(args []string) int {
	fs := c.flagSet("acl role delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.ACLRoles().Delete(fs.Arg(0)); err != nil {
		return c.errorf("Error deleting role %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Successfully deleted role %q", fs.Arg(0)))
	return exitOK
}
