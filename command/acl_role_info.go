package command

import (
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// ACLRoleInfoCommand shows one role, by ID or by name.
type ACLRoleInfoCommand struct{ Meta }

func (c *ACLRoleInfoCommand) Synopsis() string { return "Show an ACL role" }

func (c *ACLRoleInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl role info [options] ID
       appmesh acl role info [options] -by-name NAME

  Shows the role with ID, or with the name NAME: its description and
  policies.

Info Options:

  -by-name=<name>
    Look the role up by name instead of ID.

` + generalOptions + jsonOption)
}

func (c *ACLRoleInfoCommand) Run(args []string) int {
	fs := c.flagSet("acl role info", true)
	byName := fs.String("by-name", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 1); code >= 0 {
		return code
	}
	switch {
	case *byName == "" && fs.NArg() == 0:
		return c.usageError(c.Help(), "Give a role ID, or -by-name NAME.")
	case *byName != "" && fs.NArg() > 0:
		return c.usageError(c.Help(), "Give either a role ID or -by-name NAME, not both.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	var role *structs.ACLRole
	if *byName != "" {
		role, _, err = client.ACLRoles().InfoByName(*byName, nil)
		if err != nil {
			return c.errorf("Error reading role named %q: %v", *byName, err)
		}
	} else {
		role, _, err = client.ACLRoles().Info(fs.Arg(0), nil)
		if err != nil {
			return c.errorf("Error reading role %q: %v", fs.Arg(0), err)
		}
	}
	if c.json {
		return c.outputJSON(role)
	}
	c.Ui.Output(roleKV(role))
	return exitOK
}
