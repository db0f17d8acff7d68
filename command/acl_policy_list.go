package command

import (
	"sort"
	"strings"
)

// ACLPolicyListCommand lists the policies.
type ACLPolicyListCommand struct{ Meta }

func (c *ACLPolicyListCommand) Synopsis() string { return "List ACL policies" }

func (c *ACLPolicyListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl policy list [options]

  Lists every ACL policy by name and description.

` + generalOptions + jsonOption)
}

func (c *ACLPolicyListCommand) Run(args []string) int {
	fs := c.flagSet("acl policy list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	policies, _, err := client.ACLPolicies().List(nil)
	if err != nil {
		return c.errorf("Error listing policies: %v", err)
	}
	if c.json {
		return c.outputJSON(policies)
	}
	if len(policies) == 0 {
		c.Ui.Output("No policies")
		return exitOK
	}
	sort.Slice(policies, func(i, j int) bool { return policies[i].Name < policies[j].Name })
	rows := [][]string{{"Name", "Description"}}
	for _, p := range policies {
		rows = append(rows, []string{p.Name, orDash(p.Description)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}
