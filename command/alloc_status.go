package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// AllocStatusCommand shows one allocation and its tasks.
type AllocStatusCommand struct{ Meta }

func (c *AllocStatusCommand) Synopsis() string { return "Show an allocation and its tasks" }

func (c *AllocStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh alloc status [options] ID

  Shows the allocation with the given ID or unique ID prefix: where it runs,
  its status and, for each task, its state, exit code and recent events.

Status Options:

  -stats
    Also show each running task's CPU and memory usage (asks the agent of
    the allocation's node).

` + generalOptions + jsonOption)
}

func (c *AllocStatusCommand) Run(args []string) int {
	fs := c.flagSet("alloc status", true)
	stats := fs.Bool("stats", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	alloc, err := resolveAlloc(client, fs.Arg(0))
	if err != nil {
		return c.errorf("%v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, alloc); err != nil {
			return c.errorf("%v", err)
		}
		return exitOK
	}
	pairs := []string{
		"ID", alloc.ID, "Eval ID", structs.ShortID(alloc.EvalID), "Name", alloc.Name,
		"Node ID", structs.ShortID(alloc.NodeID), "Node Name", orDash(alloc.NodeName),
		"Job ID", alloc.JobID, "Job Version", fmt.Sprint(alloc.JobVersion),
		"Client Status", alloc.ClientStatus, "Client Description", orDash(alloc.ClientDescription),
		"Desired Status", alloc.DesiredStatus, "Desired Description", orDash(alloc.DesiredDescription),
		"Created", formatTime(alloc.CreateTime), "Modified", formatTime(alloc.ModifyTime),
		"Health", healthText(alloc.Healthy),
	}
	pairs = append(pairs, rescheduleKV(client, alloc)...)
	if m := alloc.Metrics; m != nil && m.NodesEvaluated > 0 {
		pairs = append(pairs, "Placement", fmt.Sprintf("%d node(s) evaluated, %d filtered, %d exhausted",
			m.NodesEvaluated, m.NodesFiltered, m.NodesExhausted))
	}
	c.Ui.Output(formatKV(pairs...))
	if t := allocPortsText(alloc.AllocatedPorts); t != "" {
		c.Ui.Output(t)
	}
	for _, name := range sortedKeys(alloc.TaskStates) {
		c.Ui.Output("")
		c.Ui.Output(taskStateText(name, alloc.TaskStates[name]))
	}
	if len(alloc.TaskStates) == 0 {
		c.Ui.Output("\nNo task has reported a state yet")
	}
	if *stats {
		c.Ui.Output("\n" + allocStatsText(client, alloc.ID))
	}
	return exitOK
}

func taskStateText(name string, s *structs.TaskState) string {
	exit := "-"
	if s.ExitCode != nil {
		exit = fmt.Sprint(*s.ExitCode)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Task %q is %q\n", name, s.State)
	b.WriteString(formatKV(append([]string{"Failed", fmt.Sprint(s.Failed), "Restarts", fmt.Sprint(s.Restarts),
		"Exit Code", exit, "Started At", formatTime(s.StartedAt), "Finished At", formatTime(s.FinishedAt)},
		taskStatusPairs(s)...)...))
	b.WriteString(checksText(s))
	if len(s.Events) == 0 {
		return b.String()
	}
	b.WriteString("\n\nRecent Events:\n")
	rows := [][]string{{"Time", "Type", "Description"}}
	// Newest first: the reason a task is in its state is usually the last event.
	for i := len(s.Events) - 1; i >= 0; i-- {
		e := s.Events[i]
		rows = append(rows, []string{formatTime(e.Time), e.Type, eventDescription(e)})
	}
	b.WriteString(formatTable(rows))
	return b.String()
}

func eventDescription(e *structs.TaskEvent) string {
	parts := []string{}
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	if e.ExitCode != nil && !strings.Contains(e.Message, "Exit Code") {
		parts = append(parts, fmt.Sprintf("exit code %d", *e.ExitCode))
	}
	// The client often writes the signal and the error into the message
	// too ("Exit Code: 137, Signal: 9, OOM Killed", a driver failure's
	// message is its error): each is said once.
	if e.Signal != 0 && !strings.Contains(e.Message, "Signal") {
		parts = append(parts, fmt.Sprintf("signal %d", e.Signal))
	}
	if e.Error != "" && !strings.Contains(e.Message, e.Error) {
		parts = append(parts, e.Error)
	}
	return strings.Join(parts, "; ")
}
