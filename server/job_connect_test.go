package server

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func connectJob() *structs.Job {
	job := testJob("web", 1, 64)
	g := job.Groups[0]
	g.Network = &structs.NetworkResource{Ports: []*structs.Port{{Label: "http"}}}
	g.Services = []*structs.Service{{Name: "web", Port: "http", Provider: structs.ServiceProviderAppmesh,
		Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{Proxy: &structs.ConsulProxy{
			Upstreams: []*structs.ConsulUpstream{{DestinationName: "api", LocalBindPort: 8080}},
		}}}}}
	return job
}

// The servers add the sidecar proxy at plan and register: job plan shows
// the task and the port, the stored job has them, registering the same
// job again (as submitted or as stored) makes no new version, and a user
// task that takes the proxy's name is refused.
func TestJobConnectInjection(t *testing.T) {
	s := testServer(t, nil)
	n := testNode("n1", 4000, 4096)
	n.Drivers["raw_exec"] = &structs.DriverInfo{Detected: true, Healthy: true}
	registerNode(t, s, n)

	// The job runs without the mesh first: the plan of its connect
	// version lists what changes.
	plain := connectJob()
	plain.Groups[0].Services[0].Connect = nil
	registerJob(t, s, plain)
	var plan structs.JobPlanResponse
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: connectJob(), Diff: true}, &plan); err != nil {
		t.Fatalf("plan: %v", err)
	}
	var paths []string
	for _, f := range plan.Diff.Fields {
		paths = append(paths, f.Path+"="+f.New)
	}
	joined := strings.Join(paths, "\n")
	if !strings.Contains(joined, "connect-proxy-web") {
		t.Fatalf("plan diff does not show the proxy:\n%s", joined)
	}
	reg := registerJob(t, s, connectJob())
	var got structs.SingleJobResponse
	if err := s.RPC(structs.JobGetJobRPC, &structs.JobSpecificRequest{JobID: "web"}, &got); err != nil {
		t.Fatal(err)
	}
	g := got.Job.Groups[0]
	proxy := g.LookupTask("connect-proxy-web")
	if proxy == nil || !proxy.IsSidecar() || proxy.Driver != "raw_exec" || proxy.Config["command"] != structs.ConnectProxyCommand {
		t.Fatalf("stored job has no proxy task: %+v", g.Tasks)
	}
	if len(g.Network.Ports) != 2 || g.Network.Ports[1].Label != "connect-proxy-web" {
		t.Fatalf("stored ports: %+v", g.Network.Ports)
	}
	again := registerJob(t, s, got.Job.Copy())
	if again.JobModifyIndex != reg.JobModifyIndex {
		t.Fatalf("re-registering the stored job made a new version (%d → %d)", reg.JobModifyIndex, again.JobModifyIndex)
	}
	if err := s.RPC("Job.Plan", &structs.JobPlanRequest{Job: connectJob(), Diff: true}, &plan); err != nil {
		t.Fatal(err)
	}
	if plan.Diff.Type != "none" {
		t.Fatalf("plan of the same job shows changes: %+v", plan.Diff.Fields)
	}

	clash := connectJob()
	clash.ID = "clash"
	clash.Groups[0].Tasks = append(clash.Groups[0].Tasks, &structs.Task{Name: "connect-proxy-web", Driver: "exec",
		Config: map[string]any{"command": "/bin/true"}})
	var r structs.JobRegisterResponse
	err := s.RPC(structs.JobRegisterRPC, &structs.JobRegisterRequest{Job: clash}, &r)
	if err == nil || !strings.Contains(err.Error(), "reserved for the sidecar proxy") {
		t.Fatalf("user task with the proxy's name: %v", err)
	}
}
