package command

import (
	"fmt"
	"strings"
)

// ACLPolicyInfoCommand shows one policy with its rules.
type ACLPolicyInfoCommand struct{ Meta }

func (c *ACLPolicyInfoCommand) Synopsis() string { return "Show an ACL policy and its rules" }

func (c *ACLPolicyInfoCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl policy info [options] NAME

  Shows the policy NAME: its description and its rules.

` + generalOptions + jsonOption)
}

func (c *ACLPolicyInfoCommand) Run(args []string) int {
	fs := c.flagSet("acl policy info", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	policy, _, err := client.ACLPolicies().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading policy %q: %v", fs.Arg(0), err)
	}
	if c.json {
		return c.outputJSON(policy)
	}
	c.Ui.Output(formatKV(
		"Name", policy.Name,
		"Description", orDash(policy.Description),
		"Create Index", fmt.Sprint(policy.CreateIndex),
		"Modify Index", fmt.Sprint(policy.ModifyIndex)))
	c.Ui.Output("\nRules\n\n" + strings.TrimRight(policy.Rules, "\n"))
	return exitOK
}
