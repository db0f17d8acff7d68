package command

import (
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// JobDispatchCommand dispatches a parameterized job.
type JobDispatchCommand struct{ Meta }

func (c *JobDispatchCommand) Synopsis() string { return "Dispatch a parameterized job" }

func (c *JobDispatchCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh job dispatch [options] ID [INPUT_FILE|-]

  Launches a child of the parameterized job ID, named
  "<ID>/dispatch-<unix time>-<short id>". The payload is read from
  INPUT_FILE, or from standard input when it is "-" (at most 16 KiB). The
  task receives it as the file local/payload and on its standard input.
  Children beyond the job's max_concurrent wait queued, oldest first.

Dispatch Options:

  -meta KEY=VALUE
    Meta of the child; repeatable. Keys must be listed in the job's
    meta_required or meta_optional.

  -idempotency-token TOKEN
    Makes the dispatch safe to retry: a dispatch with a token an earlier
    dispatch of this job used returns that child (marked "existing")
    instead of launching another. The same token with other meta or
    payload is refused. At most 256 characters.

` + generalOptions + jsonOption)
}

func (c *JobDispatchCommand) Run(args []string) int {
	fs := c.flagSet("job dispatch", true)
	var metaFlags multiFlag
	fs.Var(&metaFlags, "meta", "")
	token := fs.String("idempotency-token", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 1, 2); code >= 0 {
		return code
	}
	meta, err := parseMetaFlags(metaFlags)
	if err != nil {
		return c.usageError(c.Help(), "%v", err)
	}
	var payload []byte
	if path := fs.Arg(1); path != "" {
		if payload, err = c.readInput(path, structs.DispatchPayloadSizeLimit); err != nil {
			return c.errorf("Error reading the payload: %v", err)
		}
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	resp, _, err := client.Jobs().DispatchRequest(fs.Arg(0), &api.DispatchRequest{Meta: meta, Payload: payload, IdempotencyToken: *token})
	if err != nil {
		return c.errorf("Error dispatching job %q: %v", fs.Arg(0), err)
	}
	if c.json {
		if err := printJSON(c.Ui, resp); err != nil {
			return c.errorf("%v", err)
		}
		return exitOK
	}
	c.Ui.Output("Dispatched Job ID = " + resp.DispatchedJobID)
	if resp.Existing {
		c.Ui.Output("Existing: an earlier dispatch with this idempotency token made it; nothing new was launched")
	}
	if resp.Queued {
		c.Ui.Output("Queued: the job's max_concurrent children are running; it starts when one finishes")
	}
	return exitOK
}

func parseMetaFlags(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	meta := make(map[string]string, len(flags))
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-meta %q is not KEY=VALUE", f)
		}
		meta[k] = v
	}
	return meta, nil
}
