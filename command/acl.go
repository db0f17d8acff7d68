package command

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// ACLCommand groups the ACL subcommands.
type ACLCommand struct{ Meta }

func (c *ACLCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "acl", synopsis: "Bootstrap ACLs and manage tokens, policies and roles"}
}
func (c *ACLCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *ACLCommand) Help() string          { return c.ns().Help() }
func (c *ACLCommand) Run(args []string) int { return c.ns().Run(args) }

// ACLPolicyCommand groups the policy subcommands.
type ACLPolicyCommand struct{ Meta }

func (c *ACLPolicyCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "acl policy", synopsis: "Write, list, read and delete ACL policies"}
}
func (c *ACLPolicyCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *ACLPolicyCommand) Help() string          { return c.ns().Help() }
func (c *ACLPolicyCommand) Run(args []string) int { return c.ns().Run(args) }

// ACLTokenCommand groups the token subcommands.
type ACLTokenCommand struct{ Meta }

func (c *ACLTokenCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "acl token", synopsis: "Create, list, read, update and delete ACL tokens"}
}
func (c *ACLTokenCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *ACLTokenCommand) Help() string          { return c.ns().Help() }
func (c *ACLTokenCommand) Run(args []string) int { return c.ns().Run(args) }

// ACLRoleCommand groups the role subcommands.
type ACLRoleCommand struct{ Meta }

func (c *ACLRoleCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "acl role", synopsis: "Create, list, read, update and delete ACL roles"}
}
func (c *ACLRoleCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *ACLRoleCommand) Help() string          { return c.ns().Help() }
func (c *ACLRoleCommand) Run(args []string) int { return c.ns().Run(args) }

// flagsGiven returns the names of the flags given on the command line, to
// tell "not given" from "given empty" in update commands.
func flagsGiven(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// roleFlags are the flags that acl role create and update share.
type roleFlags struct {
	name, description string
	policies          multiFlag
}

func (f *roleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "")
	fs.StringVar(&f.description, "description", "", "")
	fs.Var(&f.policies, "policy", "")
}

// apply copies the flags given (set, from flagsGiven) onto r.
func (f *roleFlags) apply(r *structs.ACLRole, set map[string]bool) {
	if set["name"] {
		r.Name = f.name
	}
	if set["description"] {
		r.Description = f.description
	}
	if set["policy"] {
		r.Policies = f.policies
	}
}

// tokenFlags are the flags that acl token create and update share.
type tokenFlags struct {
	name            string
	policies, roles multiFlag
}

func (f *tokenFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "")
	fs.Var(&f.policies, "policy", "")
	fs.Var(&f.roles, "role-name", "")
}

// apply copies the flags given (set, from flagsGiven) onto t.
func (f *tokenFlags) apply(t *structs.ACLToken, set map[string]bool) {
	if set["name"] {
		t.Name = f.name
	}
	if set["policy"] {
		t.Policies = f.policies
	}
	if set["role-name"] {
		t.Roles = f.roles
	}
}

func listOrDash(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, ",")
}

func timeOrDash(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return formatTime(t.UnixNano())
}

// tokenKV renders a token; the secret only when the answer carries it
// (bootstrap and create), since the servers never show it again.
func tokenKV(t *structs.ACLToken) string {
	pairs := []string{"Accessor ID", t.AccessorID}
	if t.SecretID != "" {
		pairs = append(pairs, "Secret ID", t.SecretID)
	}
	create := t.CreateTime
	pairs = append(pairs,
		"Name", orDash(t.Name),
		"Type", t.Type,
		"Policies", listOrDash(t.Policies),
		"Roles", listOrDash(t.Roles),
		"Create Time", timeOrDash(&create),
		"Expiry Time", timeOrDash(t.ExpirationTime),
		"Create Index", fmt.Sprint(t.CreateIndex),
		"Modify Index", fmt.Sprint(t.ModifyIndex))
	return formatKV(pairs...)
}

func roleKV(r *structs.ACLRole) string {
	return formatKV(
		"ID", r.ID,
		"Name", r.Name,
		"Description", orDash(r.Description),
		"Policies", listOrDash(r.Policies),
		"Create Index", fmt.Sprint(r.CreateIndex),
		"Modify Index", fmt.Sprint(r.ModifyIndex))
}

// aclTokenTypesHelp explains token types, shared by create and update.
const aclTokenTypesHelp = `  A management token may do everything; a client token only what its
  policies and roles grant.`
