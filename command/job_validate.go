package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/jobspec"
	"github.com/appmesh/appmesh/structs"
)

// JobValidateCommand checks a job file without submitting it.
type JobValidateCommand struct{ Meta }

func (c *JobValidateCommand) Synopsis() string { return "Check a job file for errors" }

func (c *JobValidateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job validate [options] FILE

  Parses the job file (HCL or JSON) and checks it, listing every problem.
  Nothing is sent to the agent.
` + jobVarOptions)
}

func (c *JobValidateCommand) Run(args []string) int {
	fs := c.flagSet("job validate", false)
	var vars jobVarFlags
	vars.register(fs)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	opts, err := vars.options()
	if err != nil {
		return c.usageError(c.Help(), "%v", err)
	}
	if _, err := loadJob(fs.Arg(0), opts); err != nil {
		return c.errorf("%v", err)
	}
	c.Ui.Output("Job validation successful")
	return exitOK
}

// loadJob parses, canonicalizes and validates a job file, with errors
// worded for the command line.
func loadJob(path string, opts jobspec.ParseOptions) (*structs.Job, error) {
	job, err := jobspec.ParseFileWithOptions(path, opts)
	if err != nil {
		return nil, fmt.Errorf("Error parsing job file %s:\n%v", path, err)
	}
	job.Canonicalize()
	v := &structs.ValidationError{}
	v.Merge("", job.Validate())
	v.Merge("", checkDriverConfigs(job))
	if err := v.ErrorOrNil(); err != nil {
		return nil, fmt.Errorf("Job validation errors:\n%v", err)
	}
	return job, nil
}
