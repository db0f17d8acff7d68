package command

import (
	"fmt"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// JobStatusCommand lists jobs or shows one job in detail.
type JobStatusCommand struct{ Meta }

func (c *JobStatusCommand) Synopsis() string { return "List jobs or show a job's status" }

func (c *JobStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job status [options] [ID]

  Without ID, lists every job of the namespace (of every namespace the token
  may see, with a Namespace column, under -namespace '*'). With ID (or a
  unique ID prefix), shows the job, a summary of its allocations per group,
  why the latest evaluation could not place allocations (if so) and its
  allocations.

` + generalOptions + jsonOption)
}

// jobStatusJSON is the -json form of one job's status.
type jobStatusJSON struct {
	Job              *structs.Job                     `json:"job"`
	Summary          map[string]*structs.GroupSummary `json:"summary,omitempty"`
	LatestEvaluation *structs.Evaluation              `json:"latest_evaluation,omitempty"`
	Allocations      []*structs.AllocListStub         `json:"allocations"`
	// Periodic is set for periodic and parameterized jobs.
	Periodic *structs.PeriodicStatus `json:"periodic,omitempty"`
}

func (c *JobStatusCommand) Run(args []string) int {
	fs := c.flagSet("job status", true)
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
	return c.show(client, fs.Arg(0))
}

func (c *JobStatusCommand) list(client *api.Client) int {
	jobs, _, err := client.Jobs().List(nil)
	if err != nil {
		return c.errorf("Error querying jobs: %v", err)
	}
	if c.json {
		return c.outputJSON(jobs)
	}
	if len(jobs) == 0 {
		c.Ui.Output("No jobs")
		return exitOK
	}
	c.Ui.Output(jobTable(jobs, allNamespaces(client)))
	return exitOK
}

// jobTable lists jobs; withNamespace adds a Namespace column, for listings
// across namespaces where the same ID may appear twice.
func jobTable(jobs []*structs.JobListStub, withNamespace bool) string {
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].ID != jobs[j].ID {
			return jobs[i].ID < jobs[j].ID
		}
		return jobs[i].Namespace < jobs[j].Namespace
	})
	header := []string{"ID", "Type", "Priority", "Status", "Submit Date"}
	if withNamespace {
		header = append([]string{"ID", "Namespace"}, header[1:]...)
	}
	rows := [][]string{header}
	for _, j := range jobs {
		row := []string{j.ID, j.Type, fmt.Sprint(j.Priority), j.Status, formatTime(j.SubmitTime)}
		if withNamespace {
			row = append([]string{j.ID, orDash(j.Namespace)}, row[1:]...)
		}
		rows = append(rows, row)
	}
	return formatTable(rows)
}

func (c *JobStatusCommand) show(client *api.Client, id string) int {
	stub, code := c.findJob(client, id)
	if stub == nil {
		return code
	}
	if stub.Namespace != "" {
		// Under -namespace '*' the job was found in one namespace; the
		// reads of its details must name that one.
		client = client.WithNamespace(stub.Namespace)
	}
	job, _, err := client.Jobs().Info(stub.ID, nil)
	if err != nil {
		return c.errorf("Error querying job %q: %v", stub.ID, err)
	}
	allocs, _, err := client.Jobs().Allocations(job.ID, false, nil)
	if err != nil {
		return c.errorf("Error querying allocations of job %q: %v", job.ID, err)
	}
	evals, _, err := client.Jobs().Evaluations(job.ID, nil)
	if err != nil {
		return c.errorf("Error querying evaluations of job %q: %v", job.ID, err)
	}
	// Only for the rollout lines: a failure to read the versions leaves them out.
	versions, _, _ := client.Jobs().Versions(job.ID, nil)
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].CreateIndex > allocs[j].CreateIndex })
	eval := evalToExplain(evals)
	sched, err := jobSchedule(client, job)
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if c.json {
		return c.outputJSON(&jobStatusJSON{Job: job, Summary: stub.Summary, LatestEvaluation: eval, Allocations: allocs, Periodic: sched})
	}
	c.Ui.Output(formatKV(append([]string{
		"ID", job.ID, "Name", job.Name, "Type", job.Type,
		"Priority", fmt.Sprint(job.Priority), "Datacenters", strings.Join(job.Datacenters, ","),
		"Status", jobStatusText(job), "Version", fmt.Sprint(job.Version),
		"Submit Date", formatTime(job.SubmitTime)}, append(rolloutKV(job, evals, versions), scheduleKV(job, sched)...)...)...))
	if sched != nil {
		c.Ui.Output("\nChildren")
		c.Ui.Output(childrenTable(sched))
	}
	if len(stub.Summary) > 0 {
		c.Ui.Output("\nSummary")
		c.Ui.Output(summaryTable(stub.Summary))
	}
	if structs.HasDeployment(job) {
		// Only for this section: a failure to read deployments leaves it out.
		if deps, _, err := client.Jobs().Deployments(job.ID, nil); err == nil && len(deps) > 0 {
			c.Ui.Output("\nLatest Deployment")
			c.Ui.Output(formatKV("ID", structs.ShortID(deps[0].ID), "Job Version", fmt.Sprint(deps[0].JobVersion),
				"Status", deps[0].Status, "Description", deps[0].StatusDescription))
		}
	}
	if eval != nil && len(eval.FailedTGAllocs) > 0 {
		c.Ui.Output("\nPlacement Failure")
		c.Ui.Output(strings.Join(placementFailures(eval, groupCounts(job)), "\n"))
	}
	c.Ui.Output("\nAllocations")
	if len(allocs) == 0 {
		c.Ui.Output("No allocations placed")
	} else {
		c.Ui.Output(allocTable(allocs, true))
	}
	return exitOK
}

// findJob resolves an exact job ID or a unique prefix. It returns the list
// stub, which carries the per-group summary, or nil and an exit code.
func (c *JobStatusCommand) findJob(client *api.Client, id string) (*structs.JobListStub, int) {
	jobs, _, err := client.Jobs().List(&api.QueryOptions{Prefix: id})
	if err != nil {
		return nil, c.errorf("Error querying jobs: %v", err)
	}
	var matches, exact []*structs.JobListStub
	for _, j := range jobs {
		if j.ID == id {
			exact = append(exact, j)
		}
		if strings.HasPrefix(j.ID, id) {
			matches = append(matches, j)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], exitOK
	case len(exact) > 1:
		// Only across namespaces can one ID match twice.
		c.Ui.Error(fmt.Sprintf("Job %q exists in %d namespaces; pick one with -namespace:\n", id, len(exact)))
		c.Ui.Error(jobTable(exact, true))
		return nil, exitError
	case len(matches) == 0:
		return nil, c.errorf("No job with ID or prefix %q", id)
	case len(matches) == 1:
		return matches[0], exitOK
	}
	c.Ui.Error(fmt.Sprintf("Prefix %q matches %d jobs; give the full ID:\n", id, len(matches)))
	c.Ui.Error(jobTable(matches, allNamespaces(client)))
	return nil, exitError
}

// evalToExplain picks the evaluation whose placement failures matter now:
// a blocked evaluation (still waiting for capacity) if any, else the latest.
func evalToExplain(evals []*structs.Evaluation) *structs.Evaluation {
	var latest *structs.Evaluation
	for _, e := range evals {
		if e.Status == structs.EvalStatusBlocked {
			return e
		}
		if latest == nil || e.CreateIndex > latest.CreateIndex {
			latest = e
		}
	}
	return latest
}

func jobStatusText(job *structs.Job) string {
	s := orDash(job.Status)
	if job.Stop {
		s += " (stopped)"
	}
	return s
}

// summaryTable shows the Unknown column (allocations of nodes that stopped
// heartbeating, within their disconnect window) only when there are some.
func summaryTable(summary map[string]*structs.GroupSummary) string {
	unknown := false
	for _, s := range summary {
		unknown = unknown || s.Unknown > 0
	}
	header := []string{"Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost"}
	if unknown {
		header = append(header, "Unknown")
	}
	rows := [][]string{header}
	for _, g := range sortedKeys(summary) {
		s := summary[g]
		row := []string{g, fmt.Sprint(s.Queued), fmt.Sprint(s.Starting), fmt.Sprint(s.Running),
			fmt.Sprint(s.Failed), fmt.Sprint(s.Complete), fmt.Sprint(s.Lost)}
		if unknown {
			row = append(row, fmt.Sprint(s.Unknown))
		}
		rows = append(rows, row)
	}
	return formatTable(rows)
}
