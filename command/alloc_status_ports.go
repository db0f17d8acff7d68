package command

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/structs"
)

// allocPortsText is the "Allocated Ports" table of alloc status: the label
// (the task's APPMESH_PORT_<label>), the host port and, for a mapped port,
// the port inside the task. Empty without ports.
func allocPortsText(ports []structs.AllocatedPort) string {
	if len(ports) == 0 {
		return ""
	}
	sorted := append([]structs.AllocatedPort(nil), ports...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Label < sorted[j].Label })
	rows := [][]string{{"Label", "Port", "To"}}
	for _, p := range sorted {
		to := "-"
		if p.To != 0 {
			to = fmt.Sprint(p.To)
		}
		rows = append(rows, []string{p.Label, fmt.Sprint(p.Value), to})
	}
	return "\nAllocated Ports:\n" + formatTable(rows)
}
