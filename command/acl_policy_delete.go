package command

import (
	"fmt"
	"strings"
)

// ACLPolicyDeleteCommand deletes a policy.
type ACLPolicyDeleteCommand struct{ Meta }

func (c *ACLPolicyDeleteCommand) Synopsis() string { return "Delete an ACL policy" }

func (c *ACLPolicyDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl policy delete [options] NAME

  Deletes the policy NAME. Tokens and roles that name it lose its rules
  at once.

` + generalOptions)
}

func (c *ACLPolicyDeleteCommand) Run(args []string) int {
	fs := c.flagSet("acl policy delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if _, err := client.ACLPolicies().Delete(fs.Arg(0)); err != nil {
		return c.errorf("Error deleting policy %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Successfully deleted policy %q", fs.Arg(0)))
	return exitOK
}
