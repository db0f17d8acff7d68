package command

import (
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// healthText shows an allocation's health from its checks.
func healthText(h *bool) string {
	switch {
	case h == nil:
		return "-"
	case *h:
		return structs.HealthHealthy
	}
	return structs.HealthUnhealthy
}

// nextStartText is the earliest next start (daily window) of the tasks.
func nextStartText(states map[string]*structs.TaskState) string {
	var next int64
	for _, s := range states {
		if s != nil && s.NextStart > 0 && (next == 0 || s.NextStart < next) {
			next = s.NextStart
		}
	}
	if next == 0 {
		return "-"
	}
	return formatTime(next)
}

// taskStatusPairs is the App Mesh-style part of a task's status.
func taskStatusPairs(s *structs.TaskState) []string {
	return []string{"Starts", strconv.Itoa(s.Starts), "Next Start", formatTime(s.NextStart),
		"Health", orDash(s.Health), "Last Error", orDash(s.LastError)}
}

// checksText is the table of the task's checks, or "" without any.
func checksText(s *structs.TaskState) string {
	if len(s.Checks) == 0 {
		return ""
	}
	rows := [][]string{{"Name", "Status", "Time", "Output"}}
	for _, c := range s.Checks {
		rows = append(rows, []string{c.Name, orDash(c.Status), formatTime(c.Time), firstLine(c.Output)})
	}
	return "\n\nChecks:\n" + formatTable(rows)
}

// firstLine shortens a check's output to its first line (up to 80 chars).
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return orDash(s)
}
