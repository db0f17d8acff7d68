package command

import (
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// JobRunCommand submits a job and follows its placement.
type JobRunCommand struct{ Meta }

func (c *JobRunCommand) Synopsis() string { return "Submit a job and watch it get placed" }

func (c *JobRunCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job run [options] FILE

  Parses the job file (HCL or JSON), checks it and submits it. Unless
  -detach is given, it then follows the evaluation and prints where each
  allocation was placed, until all are running (exit 0) or placement fails
  (exit 1, with the scheduler's reasons).

Run Options:

  -detach
    Print the evaluation ID and return without waiting.

  -check-index=<index>
    Submit only if the job's current job_modify_index equals <index>; 0
    means the job must not exist yet. Guards against concurrent changes.

  -idempotency-token=<token>
    Makes the submission safe to retry (at most 256 characters): when the
    job's last registration carried the same token, its answer (evaluation
    ID) is returned and nothing new is written. The same token with
    another job spec is refused.

  -timeout=<duration>
    How long to wait for the placement. Default: 30s.

  -json
    Print the registration result as JSON and return without waiting.
` + jobVarOptions + `
` + generalOptions)
}

func (c *JobRunCommand) Run(args []string) int {
	fs := c.flagSet("job run", true)
	var detach bool
	var checkIndex optionalUint
	fs.BoolVar(&detach, "detach", false, "")
	fs.Var(&checkIndex, "check-index", "")
	timeout := fs.Duration("timeout", defaultMonitorTimeout, "")
	token := fs.String("idempotency-token", "", "")
	var vars jobVarFlags
	vars.register(fs)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	parseOpts, err := vars.options()
	if err != nil {
		return c.usageError(c.Help(), "%v", err)
	}
	if *timeout <= 0 {
		return c.usageError(c.Help(), "-timeout must be positive, got %s", *timeout)
	}
	job, err := loadJob(fs.Arg(0), parseOpts)
	if err != nil {
		return c.errorf("%v", err)
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if job.Namespace != "" && job.Namespace != structs.DefaultNamespace {
		// The job's own namespace wins over -namespace; the evaluation and
		// allocations watched below live there too.
		client = client.WithNamespace(job.Namespace)
	}
	opts := &api.RegisterOptions{EnforceIndex: checkIndex.set, ModifyIndex: checkIndex.value, IdempotencyToken: *token}
	prev := versionBefore(client, job.ID)
	resp, _, err := client.Jobs().Register(job, opts)
	if err != nil {
		return c.errorf("Error submitting job: %v", err)
	}
	if c.json {
		if err := printJSON(c.Ui, resp); err != nil {
			return c.errorf("%v", err)
		}
		return exitOK
	}
	if resp.Warnings != "" {
		c.Ui.Warn("Job warnings:\n" + resp.Warnings)
	}
	if resp.Existing {
		c.Ui.Output("Existing: an earlier registration with this idempotency token was answered; nothing new was written")
	}
	if detach {
		c.Ui.Output("Job registration successful")
		c.Ui.Output("Evaluation ID: " + resp.EvalID)
		return exitOK
	}
	mon, cancel := newMonitor(c.Ui, client, *timeout)
	defer cancel()
	mon.prevVersion = prev
	return mon.monitorRun(resp.EvalID, job)
}
