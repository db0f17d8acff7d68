package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/appmeshapi"
	"github.com/appmesh/appmesh/structs"
)

// amQueryInt reads a non-negative integer query parameter (def when absent).
func amQueryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("query parameter %s %q: must be a non-negative integer", name, v)
	}
	return n, nil
}

// amOutputPoll is how often a read with ?timeout= looks for new output.
const amOutputPoll = 200 * time.Millisecond

// GET /appmesh/app/{name}/output?stdout_position=&stdout_index=&
// stdout_maxsize=&process_uuid=&timeout= answers the process's stdout from
// that byte position as text, X-Output-Position with where to continue and,
// once the process ended, X-Exit-Code. stdout_index N reads the N-th
// process before the latest one. With timeout it waits up to that many
// seconds for output or the exit.
func (s *HTTPServer) amAppOutput(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	q := [4]int64{}
	for i, p := range []struct {
		name string
		def  int64
	}{{"stdout_position", 0}, {"stdout_index", 0}, {"stdout_maxsize", maxRunOutput}, {"timeout", 0}} {
		n, err := amQueryInt(r, p.name, p.def)
		if err != nil {
			return nil, err
		}
		q[i] = n
	}
	pos, index, maxSize, timeout := q[0], q[1], min(max(q[2], 1), maxRunOutput), q[3]
	job, err := s.amJob(r, name)
	if err != nil {
		return nil, err
	}
	if uuid := r.URL.Query().Get("process_uuid"); uuid != "" && uuid != job.Meta[appmeshapi.MetaProcessUUID] {
		return nil, notFound("application %q has no process %q", name, uuid)
	}
	task := job.Groups[0].Tasks[0].Name
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)
	for {
		alloc, err := s.amPickAlloc(r, job, int(index))
		if err != nil {
			return nil, err
		}
		if alloc == nil && index > 0 {
			return nil, notFound("application %q has no process at stdout_index %d", name, index)
		}
		out, proc, err := s.amReadStdout(r, alloc, task, pos, int(maxSize))
		if err != nil {
			return nil, err
		}
		ended := proc != nil && !proc.Running && proc.ExitCode != nil
		if len(out) > 0 || ended || !time.Now().Before(deadline) {
			if ended {
				w.Header().Set("X-Exit-Code", strconv.Itoa(*proc.ExitCode))
			}
			w.Header().Set("X-Output-Position", strconv.FormatInt(pos+int64(len(out)), 10))
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(out)
			return nil, nil
		}
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(amOutputPoll):
		}
	}
}

// amReadStdout reads up to max bytes of a task's stdout from pos. The
// process state is taken before the read, so an exit code it reports
// means the output read is complete up to the returned position. A task
// not set up yet has no log: that is no output, not an error.
func (s *HTTPServer) amReadStdout(r *http.Request, alloc *structs.AllocListStub, task string, pos int64, max int) ([]byte, *appmeshapi.Process, error) {
	if alloc == nil {
		return nil, nil, nil
	}
	proc := amProcess(alloc, task)
	var buf bytes.Buffer
	err := s.backend.StreamLogs(r.Context(), alloc.ID, task, logStdout, false, pos, &limitWriter{w: &buf, n: max})
	switch {
	case errors.Is(err, errLimit):
		// More output waits: the exit code comes with the last part.
		proc.ExitCode = nil
	case err != nil && !structs.IsNotFound(err) && !errors.Is(err, fs.ErrNotExist) &&
		!strings.Contains(err.Error(), "does not exist"): // the log file is made when the task starts
		return nil, nil, fmt.Errorf("reading the output of allocation %s: %w", structs.ShortID(alloc.ID), err)
	}
	return buf.Bytes(), proc, nil
}
