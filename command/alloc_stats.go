package command

import (
	"fmt"
	"sort"

	"github.com/appmesh/appmesh/api"
)

// allocStatsText renders `alloc status -stats`: CPU and memory per running
// task, read from the driver (cgroup or Docker) through the node's agent.
func allocStatsText(client *api.Client, allocID string) string {
	stats, err := client.Allocations().Stats(allocID, "")
	if err != nil {
		return fmt.Sprintf("Resource usage unavailable: %v", err)
	}
	if len(stats) == 0 {
		return "Resource usage: no task is running"
	}
	names := make([]string, 0, len(stats))
	for n := range stats {
		names = append(names, n)
	}
	sort.Strings(names)
	rows := [][]string{{"Task", "CPU", "Memory", "Limit", "PIDs"}}
	for _, n := range names {
		u := stats[n]
		mem := u.MemoryUsageBytes
		if mem == 0 {
			mem = u.MemoryRSSBytes
		}
		limit := "-"
		if u.MemoryLimitBytes > 0 {
			limit = formatBytes(u.MemoryLimitBytes)
		}
		rows = append(rows, []string{n, fmt.Sprintf("%.1f%%", u.CPUPercent), formatBytes(mem), limit, fmt.Sprint(u.PIDs)})
	}
	return "Resource Usage\n" + formatTable(rows)
}

func formatBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}
