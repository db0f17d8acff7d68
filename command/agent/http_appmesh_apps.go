package agent

import (
	"io"
	"net/http"
	"strconv"

	"github.com/appmesh/appmesh/appmeshapi"
	"github.com/appmesh/appmesh/structs"
)

// maxAppBody bounds an application body.
const maxAppBody = 1 << 20

// amNodeID is the node an application registered here runs on: this
// agent's own client.
func (s *HTTPServer) amNodeID() (string, error) {
	id, _ := s.backend.Self()["node_id"].(string)
	if id == "" {
		return "", &httpError{code: http.StatusPreconditionFailed,
			msg: "this agent runs no client: App Mesh applications run on the agent's own node; send the request to a client agent"}
	}
	return id, nil
}

// amJob fetches an application's job; a missing job or one not registered
// through /appmesh/ is a 404.
func (s *HTTPServer) amJob(r *http.Request, name string) (*structs.Job, error) {
	var out structs.SingleJobResponse
	if err := s.rpc(r, structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: name}, &out); err != nil {
		return nil, err
	}
	if !appmeshapi.IsAppJob(out.Job) {
		return nil, notFound("application %q not found", name)
	}
	return out.Job, nil
}

// amLatestAlloc is the job's newest allocation, with index > 0 the
// index-th one before it (App Mesh's stdout_index), or nil.
func (s *HTTPServer) amLatestAlloc(r *http.Request, jobID string, index int) (*structs.AllocListStub, error) {
	var out structs.JobAllocationsResponse
	if err := s.rpc(r, structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: jobID, All: true}, &out); err != nil {
		return nil, err
	}
	allocs := newestFirst(out.Allocations)
	if len(allocs) == 0 {
		// An interval or cron application runs as periodic children.
		var err error
		if allocs, err = s.amChildAllocs(r, jobID, index+1); err != nil {
			return nil, err
		}
	}
	if index >= len(allocs) {
		return nil, nil
	}
	return allocs[index], nil
}

// amProcess describes a task's process from its allocation.
func amProcess(a *structs.AllocListStub, task string) *appmeshapi.Process {
	if a == nil {
		return nil
	}
	p := &appmeshapi.Process{}
	ts := a.TaskStates[task]
	if ts == nil {
		return p
	}
	p.Running = ts.State == structs.TaskStateRunning
	if ts.State == structs.TaskStateDead {
		p.ExitCode, p.Failed = ts.ExitCode, ts.Failed
	}
	p.StartTime = ts.StartedAt / 1e9
	p.ExitTime, p.Starts, p.NextStart = ts.FinishedAt/1e9, ts.Starts, ts.NextStart/1e9
	p.Unhealthy = ts.Health == structs.HealthUnhealthy
	return p
}

// GET /appmesh/applications: every application registered through
// /appmesh/ (jobs of other kinds are not App Mesh applications).
func (s *HTTPServer) amAppList(w http.ResponseWriter, r *http.Request) (any, error) {
	var list structs.JobListResponse
	if err := s.rpc(r, structs.JobListRPC, &structs.JobListRequest{}, &list); err != nil {
		return nil, err
	}
	apps := []map[string]any{}
	for _, stub := range list.Jobs {
		job, err := s.amJob(r, stub.ID)
		if err != nil {
			if statusFor(err) == http.StatusNotFound {
				continue // not an App Mesh application
			}
			return nil, err
		}
		v, err := s.amAppView(r, job)
		if err != nil {
			return nil, err
		}
		apps = append(apps, v)
	}
	return apps, nil
}

// GET /appmesh/app/{name}
func (s *HTTPServer) amAppGet(w http.ResponseWriter, r *http.Request) (any, error) {
	job, err := s.amJob(r, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	return s.amAppView(r, job)
}

// PUT /appmesh/app/{name} registers (or replaces) an application as a job
// pinned to this agent's node and answers it as GET would.
func (s *HTTPServer) amAppPut(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	if name == "run" || name == "syncrun" {
		// POST /appmesh/app/run and /syncrun are the remote runs.
		return nil, badRequest("application name %q is reserved for remote runs: choose another", name)
	}
	if r.URL.Query().Get("subscribe_events") != "" {
		return nil, badRequest("subscribe_events: event subscriptions are not supported yet")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAppBody))
	if err != nil {
		return nil, badRequest("application %q: reading the body: %v", name, err)
	}
	app, err := appmeshapi.ParseApp(body, name)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	// A cluster application is placed by its selector: it needs no
	// client on this agent.
	node := ""
	if !app.IsCluster() {
		if node, err = s.amNodeID(); err != nil {
			return nil, err
		}
	}
	// An existing job of another kind keeps its name: replacing it through
	// /appmesh/ would silently turn it into something else.
	var cur structs.SingleJobResponse
	if err := s.rpc(r, structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: name}, &cur); err != nil {
		return nil, err
	}
	if cur.Job != nil && !appmeshapi.IsAppJob(cur.Job) {
		return nil, &httpError{code: http.StatusConflict,
			msg: "job " + strconv.Quote(name) + " exists and is not an App Mesh application; choose another name"}
	}
	job, err := app.ToJob(node)
	if err != nil {
		return nil, badRequest("application %q: %v", name, err)
	}
	if err := s.amRegister(r, job); err != nil {
		return nil, err
	}
	return s.amAppGet(w, r)
}

// amRegister registers an application's job.
func (s *HTTPServer) amRegister(r *http.Request, job *structs.Job) error {
	var out structs.JobRegisterResponse
	return s.rpc(r, structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: job}, &out)
}

// DELETE /appmesh/app/{name} stops and purges the application's job.
func (s *HTTPServer) amAppDelete(w http.ResponseWriter, r *http.Request) (any, error) {
	name := r.PathValue("name")
	if _, err := s.amJob(r, name); err != nil {
		return nil, err
	}
	// Stop the parent first, so that no launch starts after the launches
	// are listed; then purge the launches (found through the parent) and
	// the parent.
	var out structs.JobDeregisterResponse
	if err := s.rpc(r, structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: name}, &out); err != nil {
		return nil, err
	}
	if err := s.amStopChildren(r, name, true); err != nil {
		return nil, err
	}
	if err := s.rpc(r, structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: name, Purge: true}, &out); err != nil {
		return nil, err
	}
	return map[string]string{"message": "application " + strconv.Quote(name) + " removed"}, nil
}

// POST /appmesh/app/{name}/enable|disable: disable stops the job (it stays
// registered), enable registers it again unstopped with its one process.
func (s *HTTPServer) amAppEnable(enable bool) endpoint {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		name := r.PathValue("name")
		job, err := s.amJob(r, name)
		if err != nil {
			return nil, err
		}
		if enable {
			appmeshapi.Enable(job)
			if err := s.amRegister(r, job); err != nil {
				return nil, err
			}
			return map[string]string{"message": "application " + strconv.Quote(name) + " enabled"}, nil
		}
		var out structs.JobDeregisterResponse
		if err := s.rpc(r, structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: name}, &out); err != nil {
			return nil, err
		}
		if err := s.amStopChildren(r, name, false); err != nil {
			return nil, err
		}
		return map[string]string{"message": "application " + strconv.Quote(name) + " disabled"}, nil
	}
}

// GET /appmesh/app/{name}/health answers 0 (healthy) or 1 as plain text.
func (s *HTTPServer) amAppHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	job, err := s.amJob(r, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	alloc, err := s.amPickAlloc(r, job, 0)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, strconv.Itoa(appmeshapi.Health(amProcess(alloc, appmeshapi.TaskName))))
	return nil, nil
}
