package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// NodeStatusCommand lists client nodes or shows one.
type NodeStatusCommand struct{ Meta }

func (c *NodeStatusCommand) Synopsis() string { return "List client nodes or show one" }

func (c *NodeStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh node status [options] [ID]

  Without ID, lists the client nodes. With an ID, unique ID prefix or node
  name, shows the node: status, drivers, resources and, with -verbose, its
  attributes.

Node Status Options:

  -verbose
    Also print the node's attributes and metadata.

` + generalOptions + jsonOption)
}

func (c *NodeStatusCommand) Run(args []string) int {
	fs := c.flagSet("node status", true)
	verbose := fs.Bool("verbose", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if fs.NArg() == 0 {
		return c.list(client)
	}
	node, err := resolveNode(client, fs.Arg(0))
	if err != nil {
		return c.errorf("%v", err)
	}
	if c.json {
		return c.outputJSON(node)
	}
	c.Ui.Output(nodeText(node, *verbose))
	c.Ui.Output(nodeAllocsText(client, node.ID))
	return exitOK
}

func (c *NodeStatusCommand) list(client *api.Client) int {
	nodes, _, err := client.Nodes().List(nil)
	if err != nil {
		return c.errorf("Error querying nodes: %v", err)
	}
	if c.json {
		return c.outputJSON(nodes)
	}
	if len(nodes) == 0 {
		c.Ui.Output("No nodes registered")
		return exitOK
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	rows := [][]string{{"ID", "Name", "DC", "Drivers", "Eligibility", "Status"}}
	for _, n := range nodes {
		rows = append(rows, []string{structs.ShortID(n.ID), n.Name, n.Datacenter,
			healthyDrivers(n.Drivers), n.SchedulingEligibility, n.Status})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

func nodeText(n *structs.Node, verbose bool) string {
	pairs := []string{
		"ID", n.ID, "Name", n.Name, "Datacenter", n.Datacenter, "HTTP Address", orDash(n.HTTPAddr),
		"Status", n.Status, "Status Description", orDash(n.StatusDescription),
		"Eligibility", n.SchedulingEligibility, "Drain", drainText(n),
		"Drivers", healthyDrivers(n.Drivers),
		"Status Updated", formatTime(n.StatusUpdatedAt),
	}
	if r := n.Resources; r != nil {
		pairs = append(pairs, "CPU", fmt.Sprintf("%d MHz (%d cores)", r.CPU, r.Cores),
			"Memory", fmt.Sprintf("%d MB", r.MemoryMB))
		if r.DiskMB > 0 {
			pairs = append(pairs, "Disk", fmt.Sprintf("%d MB", r.DiskMB))
		}
	}
	out := formatKV(pairs...)
	if unhealthy := unhealthyDrivers(n.Drivers); unhealthy != "" {
		out += "\n\nUnhealthy Drivers\n" + unhealthy
	}
	if len(n.HostVolumes) > 0 {
		out += "\n\nHost Volumes\n" + hostVolumesTable(n.HostVolumes)
	}
	if verbose {
		out += "\n\nAttributes\n" + mapKV(n.Attributes) + "\n\nMeta\n" + mapKV(n.Meta)
	}
	return out
}

func healthyDrivers(drivers map[string]*structs.DriverInfo) string {
	var names []string
	for _, name := range sortedKeys(drivers) {
		if d := drivers[name]; d.Detected && d.Healthy {
			names = append(names, name)
		}
	}
	return orDash(strings.Join(names, ","))
}

func unhealthyDrivers(drivers map[string]*structs.DriverInfo) string {
	var lines []string
	for _, name := range sortedKeys(drivers) {
		if d := drivers[name]; d.Detected && !d.Healthy {
			lines = append(lines, fmt.Sprintf("%s: %s", name, orDash(d.HealthDescription)))
		}
	}
	return strings.Join(lines, "\n")
}

func mapKV(m map[string]string) string {
	if len(m) == 0 {
		return "-"
	}
	pairs := make([]string, 0, 2*len(m))
	for _, k := range sortedKeys(m) {
		pairs = append(pairs, k, m[k])
	}
	return formatKV(pairs...)
}

// hostVolumesTable lists a node's host volumes by name.
func hostVolumesTable(vols map[string]*structs.ClientHostVolume) string {
	rows := [][]string{{"Name", "Path", "Read Only"}}
	for _, name := range sortedKeys(vols) {
		v := vols[name]
		if v == nil {
			continue
		}
		rows = append(rows, []string{name, v.Path, fmt.Sprint(v.ReadOnly)})
	}
	return formatTable(rows)
}
