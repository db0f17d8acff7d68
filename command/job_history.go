package command

import (
	"fmt"
	"strconv"
	"strings"
)

// JobHistoryCommand lists a job's versions.
type JobHistoryCommand struct{ Meta }

func (c *JobHistoryCommand) Synopsis() string { return "List the stored versions of a job" }

func (c *JobHistoryCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job history [options] ID

  Lists the stored versions of a job, newest first. Use
  "appmesh job revert ID VERSION" to run an older version again.

` + generalOptions + jsonOption)
}

func (c *JobHistoryCommand) Run(args []string) int {
	fs := c.flagSet("job history", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	versions, _, err := client.Jobs().Versions(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error querying job versions: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, versions); err != nil {
			return c.errorf("%v", err)
		}
		return exitOK
	}
	rows := [][]string{{"Version", "Stop", "Stable", "Priority", "Submit Date"}}
	for _, v := range versions {
		rows = append(rows, []string{strconv.FormatUint(v.Version, 10), strconv.FormatBool(v.Stop),
			stableText(v), strconv.Itoa(v.Priority), formatTime(v.SubmitTime)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

// JobRevertCommand runs an older version of a job again.
type JobRevertCommand struct{ Meta }

func (c *JobRevertCommand) Synopsis() string { return "Revert a job to an older version" }

func (c *JobRevertCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job revert [options] ID VERSION

  Registers VERSION of the job again, as a new version. See
  "appmesh job history ID" for the versions kept.

` + generalOptions + jsonOption)
}

func (c *JobRevertCommand) Run(args []string) int {
	fs := c.flagSet("job revert", true)
	if code := c.parseFlags(fs, args, c.Help(), 2, 2); code >= 0 {
		return code
	}
	version, err := strconv.ParseUint(fs.Arg(1), 10, 64)
	if err != nil {
		return c.usageError(c.Help(), "VERSION must be a non-negative integer, got %q", fs.Arg(1))
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Jobs().Revert(fs.Arg(0), version, nil)
	if err != nil {
		return c.errorf("Error reverting job: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, resp); err != nil {
			return c.errorf("%v", err)
		}
		return exitOK
	}
	c.Ui.Output(fmt.Sprintf("Job %q reverted to version %d\nEvaluation ID: %s", fs.Arg(0), version, resp.EvalID))
	return exitOK
}
