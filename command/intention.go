package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

// meshPolicyCommands are the CLI of the mesh's intentions and traffic
// splits (mesh_split.go). The "mesh" group is shared with the CA's
// commands.
func meshPolicyCommands(meta func() Meta) map[string]cli.CommandFactory {
	return map[string]cli.CommandFactory{
		"intention": func() (cli.Command, error) {
			return &groupCommand{namespace{Meta: meta(), name: "intention",
				synopsis: "Allow or deny connections between mesh services"}}, nil
		},
		"intention create": func() (cli.Command, error) { return &IntentionCreateCommand{Meta: meta()}, nil },
		"intention list":   func() (cli.Command, error) { return &IntentionListCommand{Meta: meta()}, nil },
		"intention check":  func() (cli.Command, error) { return &IntentionCheckCommand{Meta: meta()}, nil },
		"intention delete": func() (cli.Command, error) { return &IntentionDeleteCommand{Meta: meta()}, nil },
		"mesh": func() (cli.Command, error) {
			return &groupCommand{namespace{Meta: meta(), name: "mesh", synopsis: "Manage the built-in service mesh"}}, nil
		},
		"mesh split": func() (cli.Command, error) {
			return &groupCommand{namespace{Meta: meta(), name: "mesh split",
				synopsis: "Split a mesh service's traffic between its subsets"}}, nil
		},
		"mesh split apply":  func() (cli.Command, error) { return &SplitApplyCommand{Meta: meta()}, nil },
		"mesh split list":   func() (cli.Command, error) { return &SplitListCommand{Meta: meta()}, nil },
		"mesh split info":   func() (cli.Command, error) { return &SplitInfoCommand{Meta: meta()}, nil },
		"mesh split delete": func() (cli.Command, error) { return &SplitDeleteCommand{Meta: meta()}, nil },
	}
}

const intentionNames = `
  SRC and DST name a service: "web" (in the -namespace, "default" if
  none), "prod/web", "*" (any service of the -namespace), "prod/*" (any
  service of prod) or "*/*" (any service anywhere).`

// meshName parses SRC or DST of an intention command; bare names are in
// the client's namespace.
func meshName(client *api.Client, s string) (ns, name string, err error) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		ns, name = s[:i], s[i+1:]
	} else {
		ns, name = client.Namespace(), s
		if ns == "" {
			ns = structs.DefaultNamespace
		}
		if ns == structs.AllNamespacesSentinel {
			return "", "", fmt.Errorf("%q has no namespace and -namespace is '*': write it as <namespace>/%s", s, s)
		}
	}
	if ns == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%q is not a service: use svc, ns/svc, *, ns/* or */*", s)
	}
	return ns, name, nil
}

func intentionLine(in *structs.Intention) string {
	return fmt.Sprintf("%s/%s => %s/%s", in.SourceNamespace, in.SourceName, in.DestinationNamespace, in.DestinationName)
}

// IntentionCreateCommand creates (or with -replace replaces) an intention.
type IntentionCreateCommand struct{ Meta }

func (c *IntentionCreateCommand) Synopsis() string {
	return "Allow or deny a source service to reach a destination"
}

func (c *IntentionCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh intention create (-allow|-deny) [options] SRC DST

  Creates an intention: mesh connections from SRC to DST are allowed or
  denied, enforced by every sidecar proxy within a second. The most precise
  intention matching a connection decides (exact names before wildcards,
  the destination before the source); between equally precise ones deny
  wins; with none, the destination namespace's mesh_default_action does.
` + intentionNames + `

  Needs submit-job in DST's namespace (operator write for "*/*").

Create Options:

  -allow / -deny
    The intention's action; exactly one is required.

  -description=<text>
    What the intention is for.

  -replace
    Replace an existing intention from SRC to DST (it keeps its ID)
    instead of failing.

` + generalOptions)
}

func (c *IntentionCreateCommand) Run(args []string) int {
	fs := c.flagSet("intention create", false)
	allow := fs.Bool("allow", false, "")
	deny := fs.Bool("deny", false, "")
	replace := fs.Bool("replace", false, "")
	description := fs.String("description", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 2, 2); code >= 0 {
		return code
	}
	if *allow == *deny {
		return c.usageError(c.Help(), "Give exactly one of -allow and -deny.")
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	in := &structs.Intention{Action: structs.IntentionAllow, Description: *description}
	if *deny {
		in.Action = structs.IntentionDeny
	}
	if in.SourceNamespace, in.SourceName, err = meshName(client, fs.Arg(0)); err != nil {
		return c.usageError(c.Help(), "SRC: %v", err)
	}
	if in.DestinationNamespace, in.DestinationName, err = meshName(client, fs.Arg(1)); err != nil {
		return c.usageError(c.Help(), "DST: %v", err)
	}
	// The write's namespace is the destination's, where its ACL is checked.
	stored, wm, err := client.WithNamespace(in.DestinationNamespace).Intentions().Upsert(in, &api.IntentionWriteOptions{CreateOnly: !*replace})
	if err != nil {
		return c.errorf("Error creating intention %s => %s: %v", fs.Arg(0), fs.Arg(1), err)
	}
	// The write's index tells what it did: created the row, changed it,
	// or (the same intention again) left it as it was.
	verb := "Unchanged"
	switch wm.LastIndex {
	case stored.CreateIndex:
		verb = "Created"
	case stored.ModifyIndex:
		verb = "Replaced"
	}
	c.Ui.Output(fmt.Sprintf("%s intention %s: %s (%s)", verb, stored.ID, intentionLine(stored), stored.Action))
	return exitOK
}

// IntentionListCommand lists intentions.
type IntentionListCommand struct{ Meta }

func (c *IntentionListCommand) Synopsis() string { return "List intentions" }

func (c *IntentionListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh intention list [options]

  Lists the intentions into the namespace's services (and those into any
  namespace), most precise first, and the namespace's default policy.
  -namespace '*' lists every namespace the token may read.

` + generalOptions + jsonOption)
}

func (c *IntentionListCommand) Run(args []string) int {
	fs := c.flagSet("intention list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	out, _, err := client.Intentions().List(nil)
	if err != nil {
		return c.errorf("Error listing intentions: %v", err)
	}
	if c.json {
		return c.outputJSON(out)
	}
	if len(out.Intentions) == 0 {
		c.Ui.Output("No intentions")
	} else {
		rows := [][]string{{"ID", "Source", "Action", "Destination", "Precedence", "Description"}}
		for _, in := range out.Intentions {
			rows = append(rows, []string{in.ID, in.SourceNamespace + "/" + in.SourceName, in.Action,
				in.DestinationNamespace + "/" + in.DestinationName, fmt.Sprint(in.Precedence), orDash(in.Description)})
		}
		c.Ui.Output(formatTable(rows))
	}
	for _, ns := range sortedKeys(out.DefaultAllow) {
		c.Ui.Output(fmt.Sprintf("Default policy of namespace %q: %s", ns, allowWord(out.DefaultAllow[ns])))
	}
	return exitOK
}

func allowWord(allow bool) string {
	if allow {
		return structs.IntentionAllow
	}
	return structs.IntentionDeny
}

// IntentionCheckCommand tells whether SRC may connect to DST.
type IntentionCheckCommand struct{ Meta }

func (c *IntentionCheckCommand) Synopsis() string {
	return "Tell whether a service may connect to another"
}

func (c *IntentionCheckCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh intention check [options] SRC DST

  Tells whether a mesh connection from SRC to DST is allowed, and why: the
  intention that decides, or the destination namespace's default policy.
  SRC and DST are "web" (in the -namespace) or "prod/web", no wildcards.
  Exits 0 when allowed, 2 when denied, 1 on an error.

` + generalOptions + jsonOption)
}

func (c *IntentionCheckCommand) Run(args []string) int {
	fs := c.flagSet("intention check", true)
	if code := c.parseFlags(fs, args, c.Help(), 2, 2); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	names := make([]string, 2)
	for i, what := range []string{"SRC", "DST"} {
		ns, name, err := meshName(client, fs.Arg(i))
		if err != nil {
			return c.usageError(c.Help(), "%s: %v", what, err)
		}
		names[i] = ns + "/" + name
	}
	dstNS, _, _ := strings.Cut(names[1], "/")
	out, _, err := client.Intentions().Check(names[0], names[1], &api.QueryOptions{Namespace: dstNS})
	if err != nil {
		return c.errorf("Error checking %s => %s: %v", names[0], names[1], err)
	}
	if c.json {
		if code := c.outputJSON(out); code != exitOK {
			return code
		}
	} else {
		verdict := "Denied"
		if out.Allowed {
			verdict = "Allowed"
		}
		c.Ui.Output(verdict + ": " + out.Reason)
	}
	if !out.Allowed {
		return exitUsage // 2: denied, as documented
	}
	return exitOK
}

// IntentionDeleteCommand deletes an intention by ID or by SRC and DST.
type IntentionDeleteCommand struct{ Meta }

func (c *IntentionDeleteCommand) Synopsis() string { return "Delete an intention" }

func (c *IntentionDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh intention delete [options] (ID | SRC DST)

  Deletes one intention, named by its ID or by its source and destination.
` + intentionNames + `

` + generalOptions)
}

func (c *IntentionDeleteCommand) Run(args []string) int {
	fs := c.flagSet("intention delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 2); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	id, what := fs.Arg(0), fs.Arg(0)
	if fs.NArg() == 2 {
		in, code := c.findPair(client, fs.Arg(0), fs.Arg(1))
		if in == nil {
			return code
		}
		id, what = in.ID, intentionLine(in)
	}
	if _, err := client.Intentions().Delete(id); err != nil {
		return c.errorf("Error deleting intention %s: %v", what, err)
	}
	c.Ui.Output(fmt.Sprintf("Deleted intention %s", what))
	return exitOK
}

// findPair finds the intention from src to dst among those into dst's
// namespace.
func (c *IntentionDeleteCommand) findPair(client *api.Client, src, dst string) (*structs.Intention, int) {
	want := &structs.Intention{}
	var err error
	if want.SourceNamespace, want.SourceName, err = meshName(client, src); err != nil {
		return nil, c.usageError(c.Help(), "SRC: %v", err)
	}
	if want.DestinationNamespace, want.DestinationName, err = meshName(client, dst); err != nil {
		return nil, c.usageError(c.Help(), "DST: %v", err)
	}
	out, _, err := client.Intentions().List(&api.QueryOptions{Namespace: want.DestinationNamespace})
	if err != nil {
		return nil, c.errorf("Error listing intentions: %v", err)
	}
	for _, in := range out.Intentions {
		if intentionLine(in) == intentionLine(want) {
			return in, exitOK
		}
	}
	return nil, c.errorf("Error: no intention %s", intentionLine(want))
}
