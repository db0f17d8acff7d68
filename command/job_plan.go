package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// JobPlanCommand is a dry run of a job file through the scheduler.
type JobPlanCommand struct{ Meta }

func (c *JobPlanCommand) Synopsis() string { return "Dry-run a job and show what would change" }

func (c *JobPlanCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job plan [options] FILE

  Runs the scheduler on the job without changing anything, and prints the
  fields that differ from the running version, what would be placed,
  stopped or updated, and the job modify index to pass to
  "appmesh job run -check-index", which refuses the run if the job changed
  meanwhile.

  Exit code: 0 when nothing would change, 1 when allocations would be
  created or destroyed, 255 on error.
` + jobVarOptions + `
` + generalOptions + jsonOption)
}

func (c *JobPlanCommand) Run(args []string) int {
	fs := c.flagSet("job plan", true)
	var vars jobVarFlags
	vars.register(fs)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	opts, err := vars.options()
	if err != nil {
		return c.usageError(c.Help(), "%v", err)
	}
	job, err := loadJob(fs.Arg(0), opts)
	if err != nil {
		return c.planErrorf("%v", err)
	}
	client, err := c.client()
	if err != nil {
		return c.planErrorf("Error: %v", err)
	}
	resp, err := client.Jobs().Plan(job, true)
	if err != nil {
		return c.planErrorf("Error during plan: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, resp); err != nil {
			return c.planErrorf("%v", err)
		}
		return planExitCode(resp)
	}
	c.Ui.Output(formatPlan(job.ID, resp))
	return planExitCode(resp)
}

// planExitCode is 0 when the plan changes nothing, 1 otherwise.
func planExitCode(resp *structs.JobPlanResponse) int {
	if resp.Annotations == nil {
		return 0
	}
	for _, g := range resp.Annotations.Groups {
		if g.Place+g.Stop+g.Destructive+g.InPlaceUpdate+g.Preempt+g.Unplaced+g.Canary > 0 {
			return 1
		}
	}
	return 0
}

func formatPlan(id string, resp *structs.JobPlanResponse) string {
	var b strings.Builder
	switch {
	case resp.Diff == nil:
	case resp.Diff.Type == "added":
		fmt.Fprintf(&b, "+ Job: %q (new)\n", id)
	case resp.Diff.Type == "none":
		fmt.Fprintf(&b, "  Job: %q (no changes)\n", id)
	default:
		fmt.Fprintf(&b, "+/- Job: %q\n", id)
		for _, f := range resp.Diff.Fields {
			switch {
			case f.Old == "":
				fmt.Fprintf(&b, "  + %s: %s\n", f.Path, f.New)
			case f.New == "":
				fmt.Fprintf(&b, "  - %s: %s\n", f.Path, f.Old)
			default:
				fmt.Fprintf(&b, "  +/- %s: %s => %s\n", f.Path, f.Old, f.New)
			}
		}
	}
	b.WriteString("\nScheduler dry-run:\n")
	groups := []string{}
	if resp.Annotations != nil {
		for g := range resp.Annotations.Groups {
			groups = append(groups, g)
		}
	}
	sort.Strings(groups)
	if len(groups) == 0 {
		b.WriteString("- No changes.\n")
	}
	for _, name := range groups {
		g := resp.Annotations.Groups[name]
		fmt.Fprintf(&b, "- Group %q: %s\n", name, groupPlanLine(g))
		if m := resp.FailedTGAllocs[name]; m != nil {
			fmt.Fprintf(&b, "  WARNING: %d allocation(s) cannot be placed: %s\n", 1+m.CoalescedFailures, placementFailure(m))
		}
	}
	fmt.Fprintf(&b, "\nJob Modify Index: %d\n", resp.JobModifyIndex)
	fmt.Fprintf(&b, "To submit the job with version verification run:\n\n")
	fmt.Fprintf(&b, "appmesh job run -check-index %d FILE\n", resp.JobModifyIndex)
	return strings.TrimRight(b.String(), "\n")
}

func groupPlanLine(g *structs.GroupPlanSummary) string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(g.Place, "create")
	add(g.Canary, "canary")
	add(g.Destructive, "create/destroy update")
	add(g.InPlaceUpdate, "in-place update")
	add(g.Stop, "destroy")
	add(g.Preempt, "preempt")
	add(g.Deferred, "deferred (rolling update)")
	add(g.Unplaced, "unplaced")
	if len(parts) == 0 {
		return "no changes"
	}
	return strings.Join(parts, ", ")
}

// placementFailure says which constraint or dimension stopped placements.
func placementFailure(m *structs.AllocMetric) string {
	var parts []string
	for c, n := range m.ConstraintFiltered {
		parts = append(parts, fmt.Sprintf("constraint %q filtered %d node(s)", c, n))
	}
	for d, n := range m.DimensionExhausted {
		parts = append(parts, fmt.Sprintf("%s exhausted on %d node(s)", d, n))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "no eligible node"
	}
	return strings.Join(parts, "; ")
}

// exitPlanError is job plan's exit code for an error, as in Nomad: 0 and 1
// already mean "no change" and "changes".
const exitPlanError = 255

// planErrorf prints an error and returns exitPlanError.
func (c *JobPlanCommand) planErrorf(format string, args ...any) int {
	c.errorf(format, args...)
	return exitPlanError
}
