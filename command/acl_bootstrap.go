package command

import (
	"strings"
)

// ACLBootstrapCommand creates the first management token.
type ACLBootstrapCommand struct{ Meta }

func (c *ACLBootstrapCommand) Synopsis() string { return "Create the first management token" }

func (c *ACLBootstrapCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl bootstrap [options]

  Creates the initial management token of a cluster whose agents run with
  ACLs enabled. It works once: a second bootstrap is refused. The secret
  is printed only here; keep it safe, it may do everything.

Bootstrap Options:

  -reset-index=<index>
    Only for the documented bootstrap reset procedure (website/security.md):
    the reset index it names. Default: 0, a first bootstrap.

` + generalOptions + jsonOption)
}

func (c *ACLBootstrapCommand) Run(args []string) int {
	fs := c.flagSet("acl bootstrap", true)
	resetIndex := fs.Uint64("reset-index", 0, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	token, _, err := client.ACL().Bootstrap(*resetIndex)
	if err != nil {
		return c.errorf("Error bootstrapping ACLs: %v", err)
	}
	if c.json {
		return c.outputJSON(token)
	}
	c.Ui.Output(tokenKV(token))
	return exitOK
}
