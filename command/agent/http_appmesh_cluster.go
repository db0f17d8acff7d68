package agent

import (
	"net/http"
	"sort"
	"strings"

	"github.com/appmesh/appmesh/appmeshapi"
	"github.com/appmesh/appmesh/structs"
)

// amAllocParam names, on a cluster application's output and health, the
// copy to read: an allocation ID or a unique prefix of one (App Mesh has
// no such parameter; its cluster applications are per-host).
const amAllocParam = "alloc_id"

// amAppView is an application's GET view; a cluster application's also
// lists the nodes its copies run on ("nodes", appmesh's extension).
func (s *HTTPServer) amAppView(r *http.Request, job *structs.Job) (map[string]any, error) {
	if !appmeshapi.IsClusterJob(job) {
		alloc, err := s.amLatestAlloc(r, job.ID, 0)
		if err != nil {
			return nil, err
		}
		return appmeshapi.View(job, amProcess(alloc, appmeshapi.TaskName)), nil
	}
	allocs, err := s.amJobAllocs(r, job, 1)
	if err != nil {
		return nil, err
	}
	alloc := amFirstRunning(allocs)
	v := appmeshapi.View(job, amProcess(alloc, appmeshapi.TaskName))
	nodes := []string{}
	seen := map[string]bool{}
	for _, a := range allocs {
		if a.ClientStatus == structs.AllocClientRunning && !seen[a.NodeName] {
			seen[a.NodeName] = true
			nodes = append(nodes, a.NodeName)
		}
	}
	sort.Strings(nodes)
	v["nodes"] = nodes
	return v, nil
}

// amJobAllocs is a cluster application's allocations, newest first; for
// an interval or cron one, those of its newest launches, enough for
// launches of them (each launch runs the application's copies).
func (s *HTTPServer) amJobAllocs(r *http.Request, job *structs.Job, launches int) ([]*structs.AllocListStub, error) {
	var out structs.JobAllocationsResponse
	if err := s.rpc(r, structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: job.ID, All: true}, &out); err != nil {
		return nil, err
	}
	if len(out.Allocations) > 0 || job.Periodic == nil {
		return newestFirst(out.Allocations), nil
	}
	return s.amChildAllocs(r, job.ID, launches*appmeshapi.JobReplication(job))
}

// amFirstRunning is the newest running allocation, else the newest one.
func amFirstRunning(allocs []*structs.AllocListStub) *structs.AllocListStub {
	for _, a := range allocs {
		if a.ClientStatus == structs.AllocClientRunning {
			return a
		}
	}
	if len(allocs) > 0 {
		return allocs[0]
	}
	return nil
}

// amPickAlloc is the allocation whose process an output or health request
// reads. For an application on one node, the index-th newest (see
// amLatestAlloc). A cluster application runs several copies at once: the
// one named by ?alloc_id=, else the newest running one (index counts
// back from there among all of them).
func (s *HTTPServer) amPickAlloc(r *http.Request, job *structs.Job, index int) (*structs.AllocListStub, error) {
	want := r.URL.Query().Get(amAllocParam)
	if !appmeshapi.IsClusterJob(job) {
		if want != "" {
			return nil, badRequest("%s: only for cluster applications (with condition or replication)", amAllocParam)
		}
		return s.amLatestAlloc(r, job.ID, index)
	}
	allocs, err := s.amJobAllocs(r, job, index+1)
	if err != nil {
		return nil, err
	}
	if want != "" {
		var found *structs.AllocListStub
		for _, a := range allocs {
			if strings.HasPrefix(a.ID, want) {
				if found != nil {
					return nil, badRequest("%s %q: matches more than one allocation, give more of the ID", amAllocParam, want)
				}
				found = a
			}
		}
		if found == nil {
			return nil, notFound("application %q has no allocation %q", job.ID, want)
		}
		return found, nil
	}
	first := amFirstRunning(allocs)
	if first == nil || index == 0 {
		return first, nil
	}
	rest := make([]*structs.AllocListStub, 0, len(allocs))
	for _, a := range allocs {
		if a != first {
			rest = append(rest, a)
		}
	}
	if index-1 >= len(rest) {
		return nil, nil
	}
	return rest[index-1], nil
}
