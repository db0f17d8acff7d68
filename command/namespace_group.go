package command

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
)

// NamespaceCommand groups the namespace subcommands. (The type namespace in
// commands.go is the helper behind every command group, not this.)
type NamespaceCommand struct{ Meta }

func (c *NamespaceCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "namespace", synopsis: "Create, list, inspect and delete namespaces"}
}
func (c *NamespaceCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *NamespaceCommand) Help() string          { return c.ns().Help() }
func (c *NamespaceCommand) Run(args []string) int { return c.ns().Run(args) }

func namespaceKV(ns *structs.Namespace) string {
	meshDefault := ns.MeshDefaultAction
	if meshDefault == "" {
		meshDefault = "- (allow without ACLs, deny with them)"
	}
	pairs := []string{"Name", ns.Name, "Description", orDash(ns.Description), "Mesh Default Action", meshDefault}
	for _, k := range sortedKeys(ns.Meta) {
		pairs = append(pairs, "Meta "+k, ns.Meta[k])
	}
	pairs = append(pairs, "Create Index", fmt.Sprint(ns.CreateIndex), "Modify Index", fmt.Sprint(ns.ModifyIndex))
	return formatKV(pairs...)
}
