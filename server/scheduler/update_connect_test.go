package scheduler

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// A change of a connect block (here an upstream's port) replaces the
// allocation: the tasks' upstream variables are set at start. A change of
// a plain service's tags does not.
func TestConnectChangeIsDestructive(t *testing.T) {
	mk := func(bindPort int, tag string) (*structs.Job, *structs.TaskGroup) {
		j := &structs.Job{ID: "web", Type: structs.JobTypeService, Groups: []*structs.TaskGroup{{Name: "web", Count: 1,
			Network: &structs.NetworkResource{Ports: []*structs.Port{{Label: "http"}}},
			Services: []*structs.Service{
				{Name: "web", Port: "http", Connect: &structs.ConsulConnect{SidecarService: &structs.ConsulSidecarService{
					Proxy: &structs.ConsulProxy{Upstreams: []*structs.ConsulUpstream{{DestinationName: "api", LocalBindPort: bindPort}}}}}},
				{Name: "plain", Port: "http", Tags: []string{tag}}},
			Tasks: []*structs.Task{{Name: "web", Driver: "raw_exec"}}}}}
		j.Canonicalize()
		return j, j.Groups[0]
	}
	oldJob, oldTG := mk(8080, "a")
	if j, tg := mk(8080, "b"); destructiveChange(oldJob, oldTG, j, tg) {
		t.Fatal("a plain service's tag change replaced the allocation")
	}
	if j, tg := mk(9090, "a"); !destructiveChange(oldJob, oldTG, j, tg) {
		t.Fatal("an upstream change was applied in place")
	}
}
