package agent

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	"github.com/appmesh/appmesh/appmeshapi"
	"github.com/appmesh/appmesh/structs"
)

// amRunWaitGrace is how long a sync run waits beyond its timeout for the
// process to be reported dead (the timeout itself kills it).
const amRunWaitGrace = 30 * time.Second

// amRunPoll is how often a sync run looks at its process.
const amRunPoll = 100 * time.Millisecond

// amRunJob builds a remote run (website/remote-run.md) of an application
// body: a batch job pinned to this node, marked both as a remote run (so it
// is never restarted nor rescheduled) and as an App Mesh application (so
// its output is read through /appmesh/app/{name}/output). A timeout wraps
// the command in timeout(1) of this node, which kills it and exits 124.
func (s *HTTPServer) amRunJob(w http.ResponseWriter, r *http.Request, mode string) (*structs.Job, int64, error) {
	timeout, err := amQueryInt(r, "timeout", 0)
	if err != nil {
		return nil, 0, err
	}
	lifecycle, err := amQueryInt(r, "lifecycle", 0)
	if err != nil {
		return nil, 0, err
	}
	if lifecycle > 0 && timeout > lifecycle {
		return nil, 0, badRequest("timeout %d is longer than lifecycle %d", timeout, lifecycle)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAppBody))
	if err != nil {
		return nil, 0, badRequest("reading the application body: %v", err)
	}
	app, err := appmeshapi.ParseApp(body, "")
	if err != nil {
		return nil, 0, badRequest("%v", err)
	}
	if app.Exit != appmeshapi.ExitStandby {
		return nil, 0, badRequest("application field \"behavior\": a run is never restarted; behavior.exit must be %q", appmeshapi.ExitStandby)
	}
	if app.Name == "" {
		app.Name = structs.RunJobPrefix + structs.ShortID(structs.GenerateID())
	}
	node, err := s.amNodeID()
	if err != nil {
		return nil, 0, err
	}
	job, err := app.ToJob(node)
	if err != nil {
		return nil, 0, badRequest("application %q: %v", app.Name, err)
	}
	task := job.Groups[0].Tasks[0]
	if timeout > 0 {
		bin, err := exec.LookPath("timeout")
		if err != nil {
			return nil, 0, &httpError{code: http.StatusPreconditionFailed,
				msg: "timeout: this node has no timeout(1) command to enforce it; send the run without ?timeout="}
		}
		args := []any{strconv.FormatInt(timeout, 10), task.Config["command"]}
		task.Config["command"] = bin
		task.Config["args"] = append(args, task.Config["args"].([]any)...)
	}
	job.Meta[structs.RunMetaKey] = mode
	job.Meta[appmeshapi.MetaProcessUUID] = structs.GenerateID()
	return job, timeout, nil
}

// POST /appmesh/app/{run|syncrun}. Both register the run through
// Job.Register, which checks run-command (and submit-privileged-job);
// syncrun then reads the task's log on this agent, so it asks the ACL check
// for read-logs first, like the door of /v1/run/<id>.
func (s *HTTPServer) amAppPost(w http.ResponseWriter, r *http.Request) (any, error) {
	switch r.PathValue("name") {
	case "run":
		return s.amRunAsync(w, r)
	case "syncrun":
		if _, err := s.authorize(r, accessRule{kind: structs.AuthorizeNamespace, capability: capReadLogs}); err != nil {
			return nil, err
		}
		return s.amRunSync(w, r)
	}
	return nil, &httpError{code: http.StatusMethodNotAllowed,
		msg: "POST is only allowed on /appmesh/app/run and /appmesh/app/syncrun (register an application with PUT)"}
}

// POST /appmesh/app/run?timeout=&lifecycle= starts a run and answers its
// name and process_uuid at once; read its output with
// GET /appmesh/app/{name}/output?process_uuid=.
func (s *HTTPServer) amRunAsync(w http.ResponseWriter, r *http.Request) (any, error) {
	job, _, err := s.amRunJob(w, r, "async")
	if err != nil {
		return nil, err
	}
	if err := s.amRunRegister(r, job); err != nil {
		return nil, err
	}
	return map[string]string{"name": job.ID, "process_uuid": job.Meta[appmeshapi.MetaProcessUUID]}, nil
}

// amRunRegister registers a run's job, refusing to replace an existing job.
func (s *HTTPServer) amRunRegister(r *http.Request, job *structs.Job) error {
	var cur structs.SingleJobResponse
	if err := s.rpc(r, structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: job.ID}, &cur); err != nil {
		return err
	}
	if cur.Job != nil {
		return &httpError{code: http.StatusConflict, msg: fmt.Sprintf("application %q exists already; a run needs a new name", job.ID)}
	}
	var out structs.JobRegisterResponse
	return s.rpc(r, structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &out)
}

// POST /appmesh/app/syncrun?timeout= runs the command, waits for it to end
// and answers its stdout as text with X-Exit-Code. The run's job is purged
// afterwards; if the caller goes away or the wait ends first, it is stopped.
func (s *HTTPServer) amRunSync(w http.ResponseWriter, r *http.Request) (any, error) {
	job, timeout, err := s.amRunJob(w, r, "sync")
	if err != nil {
		return nil, err
	}
	if err := s.amRunRegister(r, job); err != nil {
		return nil, err
	}
	// The run must not outlive this request: purge it whatever happens,
	// with a context of its own since the request's may be done.
	defer func() {
		ctx, cancel := context.WithTimeout(s.baseCtx, 30*time.Second)
		defer cancel()
		purge := &structs.JobDeregisterRequest{JobID: job.ID, Purge: true}
		if err := s.rpc(r.WithContext(ctx), structs.JobDeregisterRPC, purge, &structs.JobDeregisterResponse{}); err != nil {
			s.logger.Warn("appmesh syncrun: purge of the run failed", "job", job.ID, "error", err)
		}
	}()
	ctx := r.Context()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(timeout)*time.Second+amRunWaitGrace)
		defer cancel()
	}
	task := job.Groups[0].Tasks[0].Name
	for {
		alloc, err := s.amLatestAlloc(r, job.ID, 0)
		if err != nil {
			return nil, err
		}
		proc := amProcess(alloc, task)
		if alloc != nil && alloc.TaskStates[task] != nil && alloc.TaskStates[task].State == structs.TaskStateDead {
			if proc.ExitCode == nil {
				return nil, &httpError{code: http.StatusPreconditionFailed,
					msg: fmt.Sprintf("run %q did not start: %s", job.ID, alloc.TaskStates[task].LastError)}
			}
			out, _, err := s.amReadStdout(r, alloc, task, 0, maxRunOutput)
			if err != nil {
				return nil, err
			}
			w.Header().Set("X-Exit-Code", strconv.Itoa(*proc.ExitCode))
			w.Header().Set("X-Output-Position", strconv.Itoa(len(out)))
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(out)
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, &httpError{code: http.StatusRequestTimeout, msg: fmt.Sprintf("run %q did not end in time; it was stopped", job.ID)}
		case <-time.After(amRunPoll):
		}
	}
}
