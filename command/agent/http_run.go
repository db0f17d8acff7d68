package agent

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/appmesh/appmesh/structs"
)

// StdinWriter is what POST .../stdin needs from the backend.
type StdinWriter interface {
	WriteStdin(ctx context.Context, allocID, task string, r io.Reader) error
}

// maxRunOutput caps each stream returned by GET /v1/run/<id>; the offsets
// in the answer tell where to continue.
const maxRunOutput = 4 << 20

// POST|PUT /v1/client/allocation/<id>/stdin?task= streams the request body
// into the standard input of a task started with stdin, and closes that
// input (end of file) when the body ends.
func (s *HTTPServer) allocStdin(w http.ResponseWriter, r *http.Request) (any, error) {
	sw, ok := s.backend.(StdinWriter)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this agent cannot send stdin to tasks"}
	}
	task := r.URL.Query().Get("task")
	if task == "" {
		task = structs.RunTask
	}
	if err := sw.WriteStdin(r.Context(), r.PathValue("id"), task, r.Body); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// GET /v1/run/<id>?offset=N&stderr_offset=M returns a remote run's output
// from those byte positions and its exit code once known.
func (s *HTTPServer) runGet(w http.ResponseWriter, r *http.Request) (any, error) {
	id := r.PathValue("id")
	q := r.URL.Query()
	offsets := [2]int64{}
	for i, name := range []string{"offset", "stderr_offset"} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, badRequest("invalid %s %q: must be a non-negative number of bytes", name, v)
			}
			offsets[i] = n
		}
	}
	var jobReply structs.SingleJobResponse
	if err := s.rpc(r, structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: id}, &jobReply); err != nil {
		return nil, err
	}
	if jobReply.Job == nil || !structs.IsRunJob(jobReply.Job) {
		return nil, notFound("run %q not found", id)
	}
	var allocs structs.JobAllocationsResponse
	if err := s.rpc(r, structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: id, All: true}, &allocs); err != nil {
		return nil, err
	}
	st := &structs.RunStatus{ID: id, Status: structs.TaskStatePending, StdoutOffset: offsets[0], StderrOffset: offsets[1]}
	var alloc *structs.AllocListStub
	for _, a := range allocs.Allocations {
		if alloc == nil || a.CreateIndex > alloc.CreateIndex {
			alloc = a
		}
	}
	if alloc == nil {
		return st, nil
	}
	st.AllocID, st.NodeName = alloc.ID, alloc.NodeName
	ts := alloc.TaskStates[structs.RunTask]
	if ts != nil && ts.State != "" {
		st.Status = ts.State
	}
	if ts != nil && ts.State == structs.TaskStateDead {
		st.ExitCode, st.Failed = ts.ExitCode, ts.Failed
		if ts.ExitCode == nil {
			st.Error = ts.LastError
			if st.Error == "" {
				st.Error = "the task did not run"
			}
		}
	}
	if alloc.ClientStatus == structs.AllocClientLost {
		st.Status, st.Failed, st.Error = structs.TaskStateDead, true, "the run's node was lost"
	}
	for i, logType := range []string{logStdout, logStderr} {
		var buf bytes.Buffer
		lw := &limitWriter{w: &buf, n: maxRunOutput}
		err := s.backend.StreamLogs(r.Context(), alloc.ID, structs.RunTask, logType, false, offsets[i], lw)
		if err != nil && !errors.Is(err, errLimit) {
			// No output yet (task not set up) is not an error.
			continue
		}
		if errors.Is(err, errLimit) {
			st.Truncated = true
		}
		if i == 0 {
			st.Stdout, st.StdoutOffset = buf.String(), offsets[0]+int64(buf.Len())
		} else {
			st.Stderr, st.StderrOffset = buf.String(), offsets[1]+int64(buf.Len())
		}
	}
	return st, nil
}

var errLimit = errors.New("output limit reached")

// limitWriter takes up to n bytes, then fails.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		k, _ := l.w.Write(p[:l.n])
		l.n -= k
		return k, errLimit
	}
	k, err := l.w.Write(p)
	l.n -= k
	return k, err
}
