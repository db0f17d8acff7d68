package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

func bindingRuleKV(r *structs.ACLBindingRule) string {
	return formatKV("ID", r.ID, "Auth Method", r.AuthMethod, "Description", orDash(r.Description),
		"Selector", orDash(r.Selector), "Bind Type", r.BindType, "Bind Name", orDash(r.BindName),
		"Create Index", fmt.Sprint(r.CreateIndex), "Modify Index", fmt.Sprint(r.ModifyIndex))
}

// BindingRuleCreateCommand creates a binding rule.
type BindingRuleCreateCommand struct{ Meta }

func (c *BindingRuleCreateCommand) Synopsis() string { return "Create a binding rule" }

func (c *BindingRuleCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl binding-rule create [options]

  Creates a rule that grants logins through an auth method a role, a
  policy or management, when the identity's mapped claims match the
  selector. Roles and policies that do not exist are skipped; a login that
  no rule grants anything is refused. Management token.

Create Options:

  -auth-method=<name>   The auth method; required.
  -selector=<expr>      Empty (every login), or clauses joined by "and":
                          value.NAME == "x"   value.NAME != "x"
                          "x" in list.NAME
  -bind-type=<type>     role, policy or management.
  -bind-name=<name>     The role or policy; ${value.NAME} is filled in
                        from the mapped claims.
  -description=<text>   A description.

` + generalOptions + jsonOption)
}

func (c *BindingRuleCreateCommand) Run(args []string) int {
	fs := c.flagSet("acl binding-rule create", true)
	var r structs.ACLBindingRule
	fs.StringVar(&r.AuthMethod, "auth-method", "", "")
	fs.StringVar(&r.Selector, "selector", "", "")
	fs.StringVar(&r.BindType, "bind-type", "", "")
	fs.StringVar(&r.BindName, "bind-name", "", "")
	fs.StringVar(&r.Description, "description", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	if r.AuthMethod == "" || r.BindType == "" {
		return c.usageError(c.Help(), "-auth-method and -bind-type are required.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	out, err := client.ACLBindingRules().Create(&r)
	if err != nil {
		return c.errorf("Error creating the binding rule: %v", err)
	}
	if c.json {
		return c.outputJSON(out)
	}
	c.Ui.Output(bindingRuleKV(out))
	return exitOK
}

// BindingRuleListCommand lists binding rules.
type BindingRuleListCommand struct{ Meta }

func (c *BindingRuleListCommand) Synopsis() string { return "List binding rules" }

func (c *BindingRuleListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl binding-rule list [options]

  Lists binding rules, of one auth method with -auth-method. Management
  token.

` + generalOptions + jsonOption)
}

func (c *BindingRuleListCommand) Run(args []string) int {
	fs := c.flagSet("acl binding-rule list", true)
	method := fs.String("auth-method", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	rules, _, err := client.ACLBindingRules().List(*method, nil)
	if err != nil {
		return c.errorf("Error listing binding rules: %v", err)
	}
	if c.json {
		return c.outputJSON(rules)
	}
	rows := [][]string{{"ID", "Auth Method", "Bind Type", "Bind Name", "Selector"}}
	for _, r := range rules {
		rows = append(rows, []string{r.ID, r.AuthMethod, r.BindType, orDash(r.BindName), orDash(r.Selector)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

// BindingRuleInfoCommand shows a binding rule.
type BindingRuleInfoCommand struct{ Meta }

func (c *BindingRuleInfoCommand) Synopsis() string { return "Show a binding rule" }

func (c *BindingRuleInfoCommand) Help() string {
	return strings.TrimSpace("Usage: appmesh acl binding-rule info [options] <id>\n\n  Shows a binding rule (management token).\n\n" + generalOptions + jsonOption)
}

func (c *BindingRuleInfoCommand) Run(args []string) int {
	fs := c.flagSet("acl binding-rule info", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	r, _, err := client.ACLBindingRules().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading binding rule %q: %v", fs.Arg(0), err)
	}
	if c.json {
		return c.outputJSON(r)
	}
	c.Ui.Output(bindingRuleKV(r))
	return exitOK
}

// BindingRuleDeleteCommand deletes a binding rule.
type BindingRuleDeleteCommand struct{ Meta }

func (c *BindingRuleDeleteCommand) Synopsis() string { return "Delete a binding rule" }

func (c *BindingRuleDeleteCommand) Help() string {
	return strings.TrimSpace("Usage: appmesh acl binding-rule delete [options] <id>\n\n  Deletes a binding rule (management token).\n\n" + generalOptions)
}

func (c *BindingRuleDeleteCommand) Run(args []string) int {
	fs := c.flagSet("acl binding-rule delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if err := client.ACLBindingRules().Delete(fs.Arg(0)); err != nil {
		return c.errorf("Error deleting binding rule %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Deleted binding rule %q", fs.Arg(0)))
	return exitOK
}
