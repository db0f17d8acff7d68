package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/appmesh/appmesh/structs"
)

// Allocations is the /v1/allocations and /v1/allocation/<id> part of the API.
type Allocations struct{ c *Client }

// Allocations returns the allocation endpoints.
func (c *Client) Allocations() *Allocations { return &Allocations{c: c} }

// List returns allocations; q.Prefix filters by ID prefix.
func (a *Allocations) List(q *QueryOptions) ([]*structs.AllocListStub, *QueryMeta, error) {
	var out []*structs.AllocListStub
	qm, err := a.c.query("/v1/allocations", nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return out, qm, nil
}

// Info returns one allocation by its full ID.
func (a *Allocations) Info(id string, q *QueryOptions) (*structs.Allocation, *QueryMeta, error) {
	var out structs.Allocation
	qm, err := a.c.query("/v1/allocation/"+escapeID(id), nil, q, &out)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Log types accepted by Logs.
const (
	LogStdout = "stdout"
	LogStderr = "stderr"
)

// Log origins accepted by Logs: offset counts from the start or back from
// the end of the log.
const (
	OriginStart = "start"
	OriginEnd   = "end"
)

// Logs streams a task's stdout or stderr as plain text. With follow the
// stream stays open and delivers new output until ctx is cancelled or the
// caller closes the reader. The caller must close the reader.
func (a *Allocations) Logs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, origin string) (io.ReadCloser, error) {
	if logType == "" {
		logType = LogStdout
	}
	if origin == "" {
		origin = OriginStart
	}
	if offset < 0 {
		return nil, fmt.Errorf("invalid log offset %d: must not be negative (use origin %q to count from the end)", offset, OriginEnd)
	}
	params := url.Values{}
	params.Set("task", task)
	params.Set("type", logType)
	params.Set("follow", strconv.FormatBool(follow))
	params.Set("offset", strconv.FormatInt(offset, 10))
	params.Set("origin", origin)
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := a.c.newRequest(ctx, http.MethodGet, "/v1/client/fs/logs/"+escapeID(allocID), params, nil)
	if err != nil {
		return nil, err
	}
	resp, err := a.c.do(req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
