package command

import (
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// ACLTokenUpdateCommand changes a token's name, policies or roles.
type ACLTokenUpdateCommand struct{ Meta }

func (c *ACLTokenUpdateCommand) Synopsis() string {
	return "Change an ACL token's name, policies or roles"
}

func (c *ACLTokenUpdateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl token update [options] ACCESSOR_ID

  Changes the token whose accessor ID is ACCESSOR_ID. Only what is given
  changes: -policy replaces all the token's policies, -role-name all its
  roles. The secret, type and expiry stay.

Update Options:

  -name=<name>
    The token's new name.

  -policy=<name>
    A policy of the token; repeatable.

  -role-name=<name>
    A role of the token, by name; repeatable.

` + generalOptions + jsonOption)
}

func (c *ACLTokenUpdateCommand) Run(args []string) int {
	fs := c.flagSet("acl token update", true)
	var f tokenFlags
	f.register(fs)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	set := flagsGiven(fs)
	if !set["name"] && !set["policy"] && !set["role-name"] {
		return c.usageError(c.Help(), "Nothing to update: give -name, -policy or -role-name.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	accessor := fs.Arg(0)
	// Read first and send the whole set, so that what was not given stays.
	cur, _, err := client.ACLTokens().Info(accessor, nil)
	if err != nil {
		return c.errorf("Error reading token %q: %v", accessor, err)
	}
	upd := &structs.ACLToken{AccessorID: cur.AccessorID, Name: cur.Name, Type: cur.Type,
		Policies: cur.Policies, Roles: cur.Roles}
	f.apply(upd, set)
	token, _, err := client.ACLTokens().Update(upd)
	if err != nil {
		return c.errorf("Error updating token %q: %v", accessor, err)
	}
	if token.AccessorID == "" {
		// An agent that answers a write with {} : show what was written.
		token = upd
	}
	if c.json {
		return c.outputJSON(token)
	}
	c.Ui.Output(tokenKV(token))
	return exitOK
}
