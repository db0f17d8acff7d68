package command

import "strings"

// JobInspectCommand prints a job as JSON.
type JobInspectCommand struct{ Meta }

func (c *JobInspectCommand) Synopsis() string { return "Print a job as JSON" }

func (c *JobInspectCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job inspect [options] ID

  Prints the job as registered, as {"job": {...}}: the same form that
  PUT /v1/jobs and "appmesh job run" accept.

` + generalOptions + jsonOption)
}

func (c *JobInspectCommand) Run(args []string) int {
	fs := c.flagSet("job inspect", true) // -json is accepted: the output is JSON anyway
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	job, _, err := client.Jobs().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error querying job: %v", err)
	}
	if err := printJSON(c.Ui, map[string]any{"job": job}); err != nil {
		return c.errorf("%v", err)
	}
	return exitOK
}
