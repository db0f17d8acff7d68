package command

import (
	"sort"
	"strings"
)

// ACLRoleListCommand lists the roles.
type ACLRoleListCommand struct{ Meta }

func (c *ACLRoleListCommand) Synopsis() string { return "List ACL roles" }

func (c *ACLRoleListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl role list [options]

  Lists every role with its ID, description and policies.

` + generalOptions + jsonOption)
}

func (c *ACLRoleListCommand) Run(args []string) int {
	fs := c.flagSet("acl role list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	roles, _, err := client.ACLRoles().List(nil)
	if err != nil {
		return c.errorf("Error listing roles: %v", err)
	}
	if c.json {
		return c.outputJSON(roles)
	}
	if len(roles) == 0 {
		c.Ui.Output("No roles")
		return exitOK
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].Name < roles[j].Name })
	rows := [][]string{{"ID", "Name", "Description", "Policies"}}
	for _, r := range roles {
		rows = append(rows, []string{r.ID, r.Name, orDash(r.Description), listOrDash(r.Policies)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}
