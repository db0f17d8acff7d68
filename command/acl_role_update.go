package command

import (
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// ACLRoleUpdateCommand changes a role's name, description or policies.
type ACLRoleUpdateCommand struct{ Meta }

func (c *ACLRoleUpdateCommand) Synopsis() string { return "Change an ACL role" }

func (c *ACLRoleUpdateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl role update [options] ID

  Changes the role with ID. Only what is given changes; -policy replaces
  all the role's policies. Tokens carrying the role get the change at once.

Update Options:

  -name=<name>
    The role's new name.

  -description=<text>
    The role's new description.

  -policy=<name>
    A policy of the role; repeatable.

` + generalOptions + jsonOption)
}

func (c *ACLRoleUpdateCommand) Run(args []string) int {
	fs := c.flagSet("acl role update", true)
	var f roleFlags
	f.register(fs)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	set := flagsGiven(fs)
	switch {
	case !set["name"] && !set["description"] && !set["policy"]:
		return c.usageError(c.Help(), "Nothing to update: give -name, -description or -policy.")
	case set["name"] && f.name == "":
		return c.usageError(c.Help(), "-name must not be empty.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	id := fs.Arg(0)
	// Read first and send the whole role, so that what was not given stays.
	cur, _, err := client.ACLRoles().Info(id, nil)
	if err != nil {
		return c.errorf("Error reading role %q: %v", id, err)
	}
	upd := &structs.ACLRole{ID: cur.ID, Name: cur.Name, Description: cur.Description, Policies: cur.Policies}
	f.apply(upd, set)
	role, _, err := client.ACLRoles().Update(upd)
	if err != nil {
		return c.errorf("Error updating role %q: %v", id, err)
	}
	if role.ID == "" {
		// An agent that answers a write with {} : show what was written.
		role = upd
	}
	if c.json {
		return c.outputJSON(role)
	}
	c.Ui.Output(roleKV(role))
	return exitOK
}
