package command

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// DeploymentCommand groups the deployment subcommands.
type DeploymentCommand struct{ Meta }

func (c *DeploymentCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "deployment",
		synopsis: "Inspect, promote and fail the rollouts of job versions"}
}
func (c *DeploymentCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *DeploymentCommand) Help() string          { return c.ns().Help() }
func (c *DeploymentCommand) Run(args []string) int { return c.ns().Run(args) }

// DeploymentListCommand lists deployments.
type DeploymentListCommand struct{ Meta }

func (c *DeploymentListCommand) Synopsis() string { return "List deployments" }

func (c *DeploymentListCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh deployment list [options]

  Lists the deployments of the namespace: one per stored version of each
  service job with an update block, newest version first.

` + generalOptions + jsonOption)
}

func (c *DeploymentListCommand) Run(args []string) int {
	fs := c.flagSet("deployment list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	deps, _, err := client.Deployments().List(nil)
	if err != nil {
		return c.errorf("Error listing deployments: %v", err)
	}
	if c.json {
		return c.printJSONOrError(deps)
	}
	if len(deps) == 0 {
		c.Ui.Output("No deployments found")
		return exitOK
	}
	rows := [][]string{{"ID", "Job ID", "Job Version", "Status", "Description"}}
	for _, d := range deps {
		rows = append(rows, []string{structs.ShortID(d.ID), d.JobID, strconv.FormatUint(d.JobVersion, 10), d.Status, d.StatusDescription})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

func (c *Meta) printJSONOrError(v any) int {
	if err := printJSON(c.Ui, v); err != nil {
		return c.errorf("%v", err)
	}
	return exitOK
}

// DeploymentStatusCommand shows one deployment.
type DeploymentStatusCommand struct{ Meta }

func (c *DeploymentStatusCommand) Synopsis() string { return "Show a deployment" }

func (c *DeploymentStatusCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh deployment status [options] ID

  Shows a deployment (ID or a unique prefix of it): its status and, per
  group, the canaries and the healthy and unhealthy allocations.

` + generalOptions + jsonOption)
}

func (c *DeploymentStatusCommand) Run(args []string) int {
	fs := c.flagSet("deployment status", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	d, _, err := client.Deployments().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading deployment: %v", err)
	}
	if c.json {
		return c.printJSONOrError(d)
	}
	c.Ui.Output(deploymentText(d))
	return exitOK
}

// deploymentText is the human form of a deployment.
func deploymentText(d *structs.Deployment) string {
	var b strings.Builder
	b.WriteString(formatKV("ID", d.ID, "Job ID", d.JobID, "Job Version", strconv.FormatUint(d.JobVersion, 10),
		"Status", d.Status, "Description", d.StatusDescription))
	b.WriteString("\n\nDeployed\n")
	names := make([]string, 0, len(d.TaskGroups))
	for n := range d.TaskGroups {
		names = append(names, n)
	}
	sort.Strings(names)
	rows := [][]string{{"Task Group", "Auto Revert", "Promoted", "Desired", "Canaries", "Placed", "Healthy", "Unhealthy", "Progress Deadline"}}
	for _, n := range names {
		g := d.TaskGroups[n]
		promoted := "N/A"
		if g.DesiredCanaries > 0 {
			promoted = strconv.FormatBool(g.Promoted)
		}
		deadline := "none"
		if !g.RequireProgressBy.IsZero() {
			deadline = g.RequireProgressBy.Local().Format(time.RFC3339)
		} else if g.ProgressDeadline > 0 {
			deadline = g.ProgressDeadline.String()
		}
		rows = append(rows, []string{n, strconv.FormatBool(g.AutoRevert), promoted, strconv.Itoa(g.DesiredTotal),
			fmt.Sprintf("%d/%d", len(g.PlacedCanaries), g.DesiredCanaries), strconv.Itoa(g.PlacedAllocs),
			strconv.Itoa(g.HealthyAllocs), strconv.Itoa(g.UnhealthyAllocs), deadline})
	}
	b.WriteString(formatTable(rows))
	return b.String()
}

// DeploymentPromoteCommand promotes a deployment's canaries.
type DeploymentPromoteCommand struct{ Meta }

func (c *DeploymentPromoteCommand) Synopsis() string { return "Promote a deployment's canaries" }

func (c *DeploymentPromoteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh deployment promote [options] ID

  Promotes the canaries of a running deployment (ID or a unique prefix):
  the rolling update goes on and replaces the old allocations. Every
  canary must be healthy. "appmesh job promote JOB" does the same by job.

` + generalOptions + jsonOption)
}

func (c *DeploymentPromoteCommand) Run(args []string) int {
	fs := c.flagSet("deployment promote", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Deployments().Promote(fs.Arg(0))
	if err != nil {
		return c.errorf("Error promoting deployment: %v", err)
	}
	if c.json {
		return c.printJSONOrError(resp)
	}
	c.Ui.Output(fmt.Sprintf("Deployment %s promoted\nEvaluation ID: %s", fs.Arg(0), resp.EvalID))
	return exitOK
}

// DeploymentFailCommand fails a running deployment.
type DeploymentFailCommand struct{ Meta }

func (c *DeploymentFailCommand) Synopsis() string { return "Fail a running deployment" }

func (c *DeploymentFailCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh deployment fail [options] ID

  Marks a running deployment failed: its rollout stops, and with
  auto_revert the job goes back to its latest stable version.

` + generalOptions + jsonOption)
}

func (c *DeploymentFailCommand) Run(args []string) int {
	fs := c.flagSet("deployment fail", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Deployments().Fail(fs.Arg(0))
	if err != nil {
		return c.errorf("Error failing deployment: %v", err)
	}
	if c.json {
		return c.printJSONOrError(resp)
	}
	msg := fmt.Sprintf("Deployment %s marked as failed", fs.Arg(0))
	if resp.RevertedJobVersion != nil {
		msg += fmt.Sprintf("; job reverted to version %d\nEvaluation ID: %s", *resp.RevertedJobVersion, resp.EvalID)
	}
	c.Ui.Output(msg)
	return exitOK
}

// JobPromoteCommand promotes the canaries of a job's current version.
type JobPromoteCommand struct{ Meta }

func (c *JobPromoteCommand) Synopsis() string { return "Promote the canaries of a job's deployment" }

func (c *JobPromoteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job promote [options] JOB

  Promotes the canaries of the running deployment of the job's current
  version: the rolling update goes on and replaces the old allocations.
  Every canary must be healthy.

` + generalOptions + jsonOption)
}

func (c *JobPromoteCommand) Run(args []string) int {
	fs := c.flagSet("job promote", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Jobs().Promote(fs.Arg(0))
	if err != nil {
		return c.errorf("Error promoting job: %v", err)
	}
	if c.json {
		return c.printJSONOrError(resp)
	}
	c.Ui.Output(fmt.Sprintf("Canaries of job %q promoted\nEvaluation ID: %s", fs.Arg(0), resp.EvalID))
	return exitOK
}
