package command

import (
	"fmt"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// MeshCACommand groups the mesh CA's subcommands.
type MeshCACommand struct{ Meta }

func (c *MeshCACommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "mesh ca", synopsis: "The service mesh's certificate authority: read and rotate its roots"}
}
func (c *MeshCACommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *MeshCACommand) Help() string          { return c.ns().Help() }
func (c *MeshCACommand) Run(args []string) int { return c.ns().Run(args) }

// MeshCAGetCommand prints the trusted roots.
type MeshCAGetCommand struct{ Meta }

func (c *MeshCAGetCommand) Synopsis() string { return "Show the mesh CA's trusted root certificates" }

func (c *MeshCAGetCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh mesh ca get [options]

  Shows the roots every mesh proxy trusts: the active root, which signs new
  leaf certificates, and any root retired by a rotation that still has
  unexpired leaves. Private keys never leave the servers. Any valid token
  may read the roots.

Options:

  -pem
    Print the root certificates as one PEM bundle (the active root first),
    e.g. to let a program outside the mesh verify mesh certificates.

` + generalOptions + jsonOption)
}

func (c *MeshCAGetCommand) Run(args []string) int {
	fs := c.flagSet("mesh ca get", true)
	var pemOut bool
	fs.BoolVar(&pemOut, "pem", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	out, _, err := client.MeshCA().Roots(nil)
	if err != nil {
		return c.errorf("Error reading the mesh CA roots: %v", err)
	}
	switch {
	case c.json:
		if err := printJSON(c.Ui, out); err != nil {
			return c.errorf("Error: %v", err)
		}
	case pemOut:
		var b strings.Builder
		for _, r := range out.Roots {
			b.WriteString(r.CertPEM)
		}
		c.Ui.Output(strings.TrimRight(b.String(), "\n"))
	default:
		c.Ui.Output(formatMeshRoots(out))
	}
	return exitOK
}

func formatMeshRoots(out *structs.MeshCARootsResponse) string {
	if len(out.Roots) == 0 {
		return "No mesh CA root yet (the leader creates one when it takes office)"
	}
	unix := func(s int64) string {
		if s == 0 {
			return "-"
		}
		return time.Unix(s, 0).Local().Format(time.RFC3339)
	}
	rows := [][]string{{"ID", "Active", "Not Before", "Not After", "Trusted Until"}}
	for _, r := range out.Roots {
		rows = append(rows, []string{shortRootID(r.ID), fmt.Sprint(r.Active),
			unix(r.NotBefore), unix(r.NotAfter), unix(r.TrustUntil)})
	}
	return "Trust domain: " + out.TrustDomain + "\n\n" + formatTable(rows)
}

// MeshCARotateCommand makes a new root active.
type MeshCARotateCommand struct{ Meta }

func (c *MeshCARotateCommand) Synopsis() string { return "Rotate the mesh CA's root" }

func (c *MeshCARotateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh mesh ca rotate [options]

  Makes a new root active: new leaf certificates are signed by it, and
  client agents renew their services' leaves at once. The old root stays
  trusted until every leaf it signed has expired (the leaf TTL, 72h by
  default), so no connection fails during the change; then the leader
  drops it. Needs operator write.

` + generalOptions + jsonOption)
}

func (c *MeshCARotateCommand) Run(args []string) int {
	fs := c.flagSet("mesh ca rotate", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	out, err := client.MeshCA().Rotate()
	if err != nil {
		return c.errorf("Error rotating the mesh CA root: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, out); err != nil {
			return c.errorf("Error: %v", err)
		}
		return exitOK
	}
	c.Ui.Output("New active root: " + shortRootID(out.Root.ID))
	if out.RetiredID != "" {
		c.Ui.Output(fmt.Sprintf("Retired root %s stays trusted until %s",
			shortRootID(out.RetiredID), time.Unix(out.TrustUntil, 0).Local().Format(time.RFC3339)))
	}
	return exitOK
}

// shortRootID is the first 8 hex digits of a root's ID (its certificate's
// SHA-256), like the other short IDs the CLI prints; -json has it whole.
func shortRootID(id string) string { return id[:min(8, len(id))] }
