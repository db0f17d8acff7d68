package api

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/appmesh/appmesh/structs"
)

// Runs reads remote runs (`appmesh run`).
type Runs struct{ c *Client }

// Runs returns the remote run endpoints.
func (c *Client) Runs() *Runs { return &Runs{c: c} }

// Get returns a run's stdout from stdoutOffset and stderr from
// stderrOffset (bytes), and its exit code once known.
func (r *Runs) Get(id string, stdoutOffset, stderrOffset int64, q *QueryOptions) (*structs.RunStatus, error) {
	params := url.Values{}
	params.Set("offset", strconv.FormatInt(stdoutOffset, 10))
	params.Set("stderr_offset", strconv.FormatInt(stderrOffset, 10))
	var out structs.RunStatus
	if _, err := r.c.query("/v1/run/"+escapeID(id), params, q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Stdin streams in into the standard input of a task started with stdin
// (config `stdin = true`), closing that input when in ends. It returns
// once in ended and the agent passed it on, or the task stopped reading.
func (a *Allocations) Stdin(ctx context.Context, allocID, task string, in io.Reader) error {
	if ctx == nil {
		ctx = context.Background()
	}
	params := url.Values{}
	params.Set("task", task)
	req, err := a.c.newRequest(ctx, http.MethodPost, "/v1/client/allocation/"+escapeID(allocID)+"/stdin", params, nil)
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(in)
	req.ContentLength = -1 // chunked: sent as it is read
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := a.c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}
