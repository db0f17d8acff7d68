package command

import (
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// ACLTokenCreateCommand creates a token.
type ACLTokenCreateCommand struct{ Meta }

func (c *ACLTokenCreateCommand) Synopsis() string { return "Create an ACL token" }

func (c *ACLTokenCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl token create [options]

  Creates a token and prints it with its secret, which is shown only here.
` + aclTokenTypesHelp + `

Create Options:

  -name=<name>
    A name for people to recognize the token by.

  -type=<client|management>
    The token's type. Default: client.

  -policy=<name>
    A policy of the token; repeatable. Client tokens only.

  -role-name=<name>
    A role of the token, by name; repeatable. Client tokens only.

  -ttl=<duration>
    How long the token is valid, e.g. 1h or 720h. Default: no expiry.

` + generalOptions + jsonOption)
}

func (c *ACLTokenCreateCommand) Run(args []string) int {
	fs := c.flagSet("acl token create", true)
	var f tokenFlags
	f.register(fs)
	typ := fs.String("type", structs.ACLTokenTypeClient, "")
	ttl := fs.Duration("ttl", 0, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	switch {
	case *typ != structs.ACLTokenTypeClient && *typ != structs.ACLTokenTypeManagement:
		return c.usageError(c.Help(), "-type must be %q or %q, got %q", structs.ACLTokenTypeClient, structs.ACLTokenTypeManagement, *typ)
	case *typ == structs.ACLTokenTypeClient && len(f.policies) == 0 && len(f.roles) == 0:
		return c.usageError(c.Help(), "A client token needs at least one -policy or -role-name; without them it may do nothing.")
	case *typ == structs.ACLTokenTypeManagement && (len(f.policies) > 0 || len(f.roles) > 0):
		return c.usageError(c.Help(), "A management token may do everything; it takes no -policy or -role-name.")
	case *ttl < 0:
		return c.usageError(c.Help(), "-ttl must not be negative, got %s", *ttl)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	in := structs.ACLToken{Type: *typ, ExpirationTTL: structs.Duration(*ttl)}
	f.apply(&in, flagsGiven(fs))
	token, _, err := client.ACLTokens().Create(&in)
	if err != nil {
		return c.errorf("Error creating token: %v", err)
	}
	if c.json {
		return c.outputJSON(token)
	}
	c.Ui.Output(tokenKV(token))
	return exitOK
}
