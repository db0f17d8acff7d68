package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/appmesh/appmesh/api"
)

// EventStreamCommand follows the servers' event stream.
type EventStreamCommand struct{ Meta }

func (c *EventStreamCommand) Synopsis() string { return "Follow the cluster's event stream" }

func (c *EventStreamCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh event stream [options]

  Prints the cluster's events as they are committed: jobs registered and
  stopped, evaluations, allocations, nodes, rollouts and ACL changes (no
  secrets), one line per event with its Raft index, until interrupted.
  Resume after a disconnect with -index set to the last index printed:
  nothing is missed or repeated while the servers' buffer still holds it.

Event Stream Options:

  -topic=<Topic[:key]>
    A topic to follow: Job, Allocation, Evaluation, Node, Rollout, ACL, Service or
    "*"; ":key" narrows it to one object or job (Allocation:web is the
    allocations of job web). Repeatable. Default: every topic.

  -index=<n>
    Start after this Raft index (from the servers' buffer). Default: only
    new events.

  -no-follow
    Stop once the buffered events after -index are printed.

  -full
    With -json, allocations whole (metrics, resources, task events)
    instead of their summary.
` + jsonOption + `
    One line per Raft index: {"index": N, "events": [...]}.

` + generalOptions)
}

// topicList is a repeatable -topic flag.
type topicList []string

func (t *topicList) String() string { return strings.Join(*t, ",") }

func (t *topicList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("a topic must not be empty")
	}
	*t = append(*t, s)
	return nil
}

func (c *EventStreamCommand) Run(args []string) int {
	fs := c.flagSet("event stream", true)
	var topics topicList
	fs.Var(&topics, "topic", "")
	var index optionalUint
	fs.Var(&index, "index", "")
	noFollow := fs.Bool("no-follow", false, "")
	full := fs.Bool("full", false, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := c.out()
	enc := json.NewEncoder(out)
	err = client.EventStream(ctx, &api.EventStreamOptions{Topics: topics, Index: index.value, NoFollow: *noFollow, Full: *full},
		func(b *api.EventBatch) error {
			if c.json {
				return enc.Encode(b)
			}
			for _, e := range b.Events {
				ns := e.Namespace
				if ns == "" {
					ns = "-"
				}
				if _, err := fmt.Fprintf(out, "%d\t%s\t%s\t%s\t%s\n", b.Index, e.Topic, e.Type, ns, e.Key); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		var se *api.EventStreamError
		if errors.As(err, &se) && se.Reset {
			return c.errorf("Error: %v\nThe stream fell behind the servers' buffer: re-read the state and resume with a newer -index.", err)
		}
		return c.errorf("Error: %v", err)
	}
	return exitOK
}
