package command

import (
	"sort"
	"strings"

	"github.com/mitchellh/cli"
)

// hostCommands are App Mesh's host tools: labels, files, host resources.
// They talk to one agent (-address), about that agent's own node.
func hostCommands(meta func() Meta) map[string]cli.CommandFactory {
	group := func(name, synopsis string) cli.CommandFactory {
		return func() (cli.Command, error) {
			return &groupCommand{namespace{Meta: meta(), name: name, synopsis: synopsis}}, nil
		}
	}
	return map[string]cli.CommandFactory{
		"label":        group("label", "List, set or delete the labels (node meta) of an agent's node"),
		"label list":   func() (cli.Command, error) { return &LabelListCommand{Meta: meta()}, nil },
		"label set":    func() (cli.Command, error) { return &LabelSetCommand{Meta: meta()}, nil },
		"label delete": func() (cli.Command, error) { return &LabelDeleteCommand{Meta: meta()}, nil },
		"file":         group("file", "Download or upload files in an agent's file directory"),
		"file get":     func() (cli.Command, error) { return &FileGetCommand{Meta: meta()}, nil },
		"file put":     func() (cli.Command, error) { return &FilePutCommand{Meta: meta()}, nil },
		"resource":     func() (cli.Command, error) { return &ResourceCommand{Meta: meta()}, nil },
	}
}

// printLabels prints labels as sorted "key = value" lines.
func (m *Meta) printLabels(labels map[string]string) int {
	if m.json {
		return m.outputJSON(labels)
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, labels[k])
	}
	if len(pairs) == 0 {
		m.Ui.Output("No labels")
		return exitOK
	}
	m.Ui.Output(formatKV(pairs...))
	return exitOK
}

// LabelListCommand lists the node's labels.
type LabelListCommand struct{ Meta }

func (c *LabelListCommand) Synopsis() string { return "List the labels of the agent's node" }

func (c *LabelListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh label list [options]

  Lists the labels of the node of the agent at -address: its meta, which
  job constraints read as ${meta.<name>}. Needs node:read.

` + generalOptions + jsonOption)
}

func (c *LabelListCommand) Run(args []string) int {
	fs := c.flagSet("label list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	labels, err := client.AppMesh().Labels()
	if err != nil {
		return c.errorf("Error listing labels: %v", err)
	}
	return c.printLabels(labels)
}

// LabelSetCommand sets a label.
type LabelSetCommand struct{ Meta }

func (c *LabelSetCommand) Synopsis() string { return "Set a label of the agent's node" }

func (c *LabelSetCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh label set [options] <name> <value>

  Sets a label (node meta) of the agent's node. The servers have it when
  the command returns, so constraints on ${meta.<name>} see it; the agent
  keeps it across restarts (over its configured meta). Needs node:write.

` + generalOptions + jsonOption)
}

func (c *LabelSetCommand) Run(args []string) int {
	fs := c.flagSet("label set", true)
	if code := c.parseFlags(fs, args, c.Help(), 2, 2); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	labels, err := client.AppMesh().SetLabel(fs.Arg(0), fs.Arg(1))
	if err != nil {
		return c.errorf("Error setting label %q: %v", fs.Arg(0), err)
	}
	return c.printLabels(labels)
}

// LabelDeleteCommand deletes a label.
type LabelDeleteCommand struct{ Meta }

func (c *LabelDeleteCommand) Synopsis() string { return "Delete a label of the agent's node" }

func (c *LabelDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh label delete [options] <name>

  Deletes a label (node meta) of the agent's node, also one that came from
  the agent's configuration, until set again. Needs node:write.

` + generalOptions + jsonOption)
}

func (c *LabelDeleteCommand) Run(args []string) int {
	fs := c.flagSet("label delete", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	labels, err := client.AppMesh().DeleteLabel(fs.Arg(0))
	if err != nil {
		return c.errorf("Error deleting label %q: %v", fs.Arg(0), err)
	}
	return c.printLabels(labels)
}
