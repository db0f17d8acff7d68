package agent

import (
	"net/http"

	"github.com/appmesh/appmesh/structs"
)

// amChildAllocs collects the allocations of a periodic application's
// launches, newest first, until it holds want of them. An interval or cron
// application is a periodic job: each launch is a child job of its own,
// and App Mesh's "latest process" (output, health, return) is the newest
// child's. nil when the job has no children.
func (s *HTTPServer) amChildAllocs(r *http.Request, jobID string, want int) ([]*structs.AllocListStub, error) {
	var st structs.PeriodicStatusResponse
	if err := s.rpc(r, structs.JobPeriodicStatusRPC, &structs.JobSpecificRequest{JobID: jobID}, &st); err != nil {
		return nil, err
	}
	if st.Status == nil {
		return nil, nil
	}
	var out []*structs.AllocListStub
	children := st.Status.Children // oldest first
	for i := len(children) - 1; i >= 0 && len(out) < want; i-- {
		var resp structs.JobAllocationsResponse
		if err := s.rpc(r, structs.JobAllocationsRPC, &structs.JobSpecificRequest{JobID: children[i].ID, All: true}, &resp); err != nil {
			return nil, err
		}
		out = append(out, newestFirst(resp.Allocations)...)
	}
	return out, nil
}

// newestFirst orders allocations by creation, newest first.
func newestFirst(allocs []*structs.AllocListStub) []*structs.AllocListStub {
	for i := 1; i < len(allocs); i++ {
		for j := i; j > 0 && allocs[j].CreateIndex > allocs[j-1].CreateIndex; j-- {
			allocs[j], allocs[j-1] = allocs[j-1], allocs[j]
		}
	}
	return allocs
}

// amStopChildren stops (and with purge, removes) the launches of a
// periodic application that still exist, so that deleting or disabling it
// also ends its running process, as in App Mesh.
func (s *HTTPServer) amStopChildren(r *http.Request, jobID string, purge bool) error {
	var st structs.PeriodicStatusResponse
	if err := s.rpc(r, structs.JobPeriodicStatusRPC, &structs.JobSpecificRequest{JobID: jobID}, &st); err != nil {
		return err
	}
	if st.Status == nil {
		return nil
	}
	for _, c := range st.Status.Children {
		if c.Status == structs.JobStatusDead && !purge {
			continue
		}
		var out structs.JobDeregisterResponse
		if err := s.rpc(r, structs.JobDeregisterRPC, &structs.JobDeregisterRequest{JobID: c.ID, Purge: purge}, &out); err != nil {
			return err
		}
	}
	return nil
}
