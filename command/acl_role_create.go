package command

import (
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// ACLRoleCreateCommand creates a role.
type ACLRoleCreateCommand struct{ Meta }

func (c *ACLRoleCreateCommand) Synopsis() string { return "Create an ACL role" }

func (c *ACLRoleCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl role create [options]

  Creates a role: a named group of policies that tokens may carry (see
  "acl token create -role-name"). The servers choose its ID.

Create Options:

  -name=<name>
    The role's name; required and unique.

  -description=<text>
    A description of the role.

  -policy=<name>
    A policy of the role; repeatable, at least one.

` + generalOptions + jsonOption)
}

func (c *ACLRoleCreateCommand) Run(args []string) int {
	fs := c.flagSet("acl role create", true)
	var f roleFlags
	f.register(fs)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	if f.name == "" {
		return c.usageError(c.Help(), "-name is required.")
	}
	if len(f.policies) == 0 {
		return c.usageError(c.Help(), "A role needs at least one -policy.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	var in structs.ACLRole
	f.apply(&in, flagsGiven(fs))
	role, _, err := client.ACLRoles().Create(&in)
	if err != nil {
		return c.errorf("Error creating role %q: %v", f.name, err)
	}
	if c.json {
		return c.outputJSON(role)
	}
	c.Ui.Output(roleKV(role))
	return exitOK
}
