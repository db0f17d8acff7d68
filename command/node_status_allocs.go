package command

import (
	"fmt"
	"sort"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// drainText is the node's drain state for node status: "false", or how
// long the drain has been going and when batch work is stopped.
func drainText(n *structs.Node) string {
	d := n.DrainStrategy
	if d == nil {
		return "false"
	}
	s := "true"
	if d.StartedAt > 0 {
		s += fmt.Sprintf(" (since %s", formatTime(d.StartedAt))
		if d.ForceDeadline > 0 {
			s += fmt.Sprintf("; batch work stopped at %s", formatTime(d.ForceDeadline))
		}
		s += ")"
	}
	return s
}

// nodeAllocsText lists the node's allocations of every namespace the
// token may read, newest first, the way "node status <node>" shows them.
func nodeAllocsText(client *api.Client, nodeID string) string {
	all, _, err := client.Allocations().List(&api.QueryOptions{Namespace: structs.AllNamespacesSentinel})
	if err != nil {
		return fmt.Sprintf("\nAllocations: could not list them: %v", err)
	}
	var mine []*structs.AllocListStub
	for _, a := range all {
		if a.NodeID == nodeID {
			mine = append(mine, a)
		}
	}
	if len(mine) == 0 {
		return "\nAllocations: none"
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].CreateIndex > mine[j].CreateIndex })
	rows := [][]string{{"ID", "Job ID", "Group", "Version", "Desired", "Status", "Created"}}
	now := time.Now()
	for _, a := range mine {
		rows = append(rows, []string{structs.ShortID(a.ID), a.JobID, a.TaskGroup, fmt.Sprint(a.JobVersion),
			a.DesiredStatus, a.ClientStatus, formatAge(a.CreateTime, now)})
	}
	return "\nAllocations\n" + formatTable(rows)
}
