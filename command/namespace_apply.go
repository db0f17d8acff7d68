package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// NamespaceApplyCommand creates or changes a namespace.
type NamespaceApplyCommand struct{ Meta }

func (c *NamespaceApplyCommand) Synopsis() string { return "Create or change a namespace" }

func (c *NamespaceApplyCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh namespace apply [options] NAME

  Creates the namespace NAME, or changes an existing one: only what is
  given changes, and -meta replaces all its meta. Jobs go to a namespace
  with "-namespace NAME" or APPMESH_NAMESPACE, or by naming it in the job.

Apply Options:

  -description=<text>
    A description of the namespace.

  -meta KEY=VALUE
    Meta of the namespace; repeatable.

  -mesh-default-action=<allow|deny|"">
    What decides mesh connections into the namespace that no intention
    matches. Empty (the default): allow without ACLs, deny with them.

` + generalOptions)
}

func (c *NamespaceApplyCommand) Run(args []string) int {
	fs := c.flagSet("namespace apply", false)
	var metaFlags multiFlag
	description := fs.String("description", "", "")
	meshDefault := fs.String("mesh-default-action", "", "")
	fs.Var(&metaFlags, "meta", "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	name := fs.Arg(0)
	if name == structs.AllNamespacesSentinel {
		return c.usageError(c.Help(), "%q means every namespace; it cannot be a namespace's name.", name)
	}
	meta, err := parseMetaFlags(metaFlags)
	if err != nil {
		return c.usageError(c.Help(), "%v", err)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	ns := &structs.Namespace{Name: name}
	cur, _, err := client.Namespaces().Info(name, nil)
	switch {
	case err == nil:
		ns.Description, ns.Meta, ns.MeshDefaultAction = cur.Description, cur.Meta, cur.MeshDefaultAction
	case !api.IsNotFound(err):
		return c.errorf("Error reading namespace %q: %v", name, err)
	}
	set := flagsGiven(fs)
	if set["description"] {
		ns.Description = *description
	}
	if set["meta"] {
		ns.Meta = meta
	}
	if set["mesh-default-action"] {
		ns.MeshDefaultAction = *meshDefault
	}
	if _, _, err := client.Namespaces().Upsert(ns); err != nil {
		return c.errorf("Error applying namespace %q: %v", name, err)
	}
	c.Ui.Output(fmt.Sprintf("Successfully applied namespace %q", name))
	return exitOK
}
