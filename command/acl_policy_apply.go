package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// ACLPolicyApplyCommand creates or replaces a policy from an HCL file.
type ACLPolicyApplyCommand struct{ Meta }

func (c *ACLPolicyApplyCommand) Synopsis() string { return "Create or replace an ACL policy" }

func (c *ACLPolicyApplyCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl policy apply [options] NAME FILE

  Writes the policy NAME with the rules in FILE (HCL), or from standard
  input when FILE is "-". An existing policy of that name is replaced; the
  tokens and roles that name it get the new rules at once. For example:

    namespace "prod" {
      policy       = "read"
      capabilities = ["read-logs"]
    }
    node { policy = "read" }

Apply Options:

  -description=<text>
    A description of the policy.

` + generalOptions)
}

// maxPolicySize bounds what is read from FILE: policies are short, and a
// wrong FILE (a binary, /dev/zero) should fail fast rather than eat memory.
const maxPolicySize = 256 << 10

func (c *ACLPolicyApplyCommand) Run(args []string) int {
	fs := c.flagSet("acl policy apply", false)
	description := fs.String("description", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 2, 2); code >= 0 {
		return code
	}
	name, path := fs.Arg(0), fs.Arg(1)
	rules, err := c.readRules(path)
	if err != nil {
		return c.errorf("Error reading the rules of policy %q: %v", name, err)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	policy := &structs.ACLPolicy{Name: name, Description: *description, Rules: rules}
	if _, _, err := client.ACLPolicies().Upsert(policy); err != nil {
		return c.errorf("Error writing policy %q: %v", name, err)
	}
	c.Ui.Output(fmt.Sprintf("Successfully wrote policy %q", name))
	return exitOK
}

func (c *ACLPolicyApplyCommand) readRules(path string) (string, error) {
	data, err := c.readInput(path, maxPolicySize)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(string(data)) == "" {
		return "", fmt.Errorf("%s is empty", orStdin(path))
	}
	return string(data), nil
}
