package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Event is one object's change at one Raft index (GET /v1/event/stream).
type Event struct {
	Topic     string          `json:"topic"`
	Type      string          `json:"type"`
	Key       string          `json:"key"`
	Namespace string          `json:"namespace,omitempty"`
	Index     uint64          `json:"index"`
	Payload   json.RawMessage `json:"payload"`
}

// EventBatch is one line of the stream: the events of one Raft index.
type EventBatch struct {
	Index  uint64  `json:"index"`
	Events []Event `json:"events"`
}

// EventStreamOptions says what to stream.
type EventStreamOptions struct {
	// Topics are "Topic" or "Topic:key" (Job, Allocation, Evaluation,
	// Node, Rollout, ACL, Service; "*" for all). Empty: every topic.
	Topics []string
	// Index resumes after this Raft index; 0 streams only new events.
	Index uint64
	// NoFollow ends the stream once the buffered events are sent.
	NoFollow bool
	// Full asks for whole allocations; by default allocation events
	// carry a summary (IDs, statuses, task states), and the whole
	// allocation is a GET /v1/allocation/{id} away.
	Full bool
}

// EventStreamError ends a stream: with Reset, the subscriber fell behind
// the server's buffer and must re-read the state before resuming.
type EventStreamError struct {
	Message string
	Reset   bool
}

func (e *EventStreamError) Error() string { return "event stream: " + e.Message }

// EventStream calls fn for every batch, in Raft index order, until ctx
// ends, fn returns an error, the server ends the stream, or (NoFollow) the
// buffer is drained. Heartbeats are skipped. It returns nil when ctx ends
// or the stream ends normally.
func (c *Client) EventStream(ctx context.Context, opts *EventStreamOptions, fn func(*EventBatch) error) error {
	if opts == nil {
		opts = &EventStreamOptions{}
	}
	params := url.Values{}
	for _, t := range opts.Topics {
		params.Add("topic", t)
	}
	if opts.Index > 0 {
		params.Set("index", strconv.FormatUint(opts.Index, 10))
	}
	if opts.NoFollow {
		params.Set("follow", "false")
	}
	if opts.Full {
		params.Set("full", "true")
	}
	req, err := c.newRequest(ctx, http.MethodGet, "/v1/event/stream", params, nil)
	if err != nil {
		return err
	}
	// A stream outlives any client timeout; ctx ends it.
	hc := *c.http
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("cannot reach the appmesh agent at %s: %w", c.base.String(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return newStatusError(resp)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20) // a large plan is one line
	for sc.Scan() {
		var line struct {
			EventBatch
			Heartbeat bool   `json:"heartbeat"`
			Error     string `json:"error"`
			Reset     bool   `json:"reset"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return fmt.Errorf("event stream: bad line: %w", err)
		}
		switch {
		case line.Error != "":
			return &EventStreamError{Message: line.Error, Reset: line.Reset}
		case line.Heartbeat || len(line.Events) == 0:
			continue
		}
		if err := fn(&line.EventBatch); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("event stream: %w", err)
	}
	return nil
}
