package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// placementFailures explains, one block per group, why the scheduler could
// not place allocations, e.g.
//
//	group "web": 0/2 placed: memory exhausted on 1 node(s)
//	  * constraint "${attr.os} = windows" filtered 3 node(s)
//
// counts maps group names to their desired count (0 when unknown).
func placementFailures(eval *structs.Evaluation, counts map[string]int) []string {
	var lines []string
	for _, group := range sortedKeys(eval.FailedTGAllocs) {
		m := eval.FailedTGAllocs[group]
		if m == nil {
			continue
		}
		failed := m.CoalescedFailures + 1
		if q := eval.QueuedAllocations[group]; q > 0 {
			failed = q
		}
		head := fmt.Sprintf("group %q: %d allocation(s) not placed", group, failed)
		if count := counts[group]; count > 0 {
			head = fmt.Sprintf("group %q: %d/%d placed", group, max(count-failed, 0), count)
		}
		lines = append(lines, head+": "+failureReason(m))
		for _, c := range sortedKeys(m.ConstraintFiltered) {
			lines = append(lines, fmt.Sprintf("  * constraint %q filtered %d node(s)", c, m.ConstraintFiltered[c]))
		}
	}
	return lines
}

// failureReason summarizes an AllocMetric in one phrase.
func failureReason(m *structs.AllocMetric) string {
	var parts []string
	for _, dim := range sortedKeys(m.DimensionExhausted) {
		parts = append(parts, fmt.Sprintf("%s exhausted on %d node(s)", dim, m.DimensionExhausted[dim]))
	}
	switch {
	case len(parts) > 0:
		return strings.Join(parts, ", ")
	case m.NodesEvaluated == 0:
		return "no ready nodes in the job's datacenters"
	case m.NodesFiltered >= m.NodesEvaluated:
		return fmt.Sprintf("all %d node(s) were filtered out by constraints", m.NodesEvaluated)
	case m.NodesExhausted > 0:
		return fmt.Sprintf("resources exhausted on %d node(s)", m.NodesExhausted)
	}
	return fmt.Sprintf("%d node(s) evaluated, none could fit the group", m.NodesEvaluated)
}

// groupCounts maps a job's groups to their desired counts.
func groupCounts(job *structs.Job) map[string]int {
	counts := map[string]int{}
	if job != nil {
		for _, g := range job.Groups {
			counts[g.Name] = g.Count
		}
	}
	return counts
}
