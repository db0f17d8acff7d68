package state

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

func testStore(t testing.TB) *StateStore {
	t.Helper()
	s, err := NewStateStore(hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mockJob(id string) *structs.Job {
	j := &structs.Job{
		ID: id, Type: structs.JobTypeService,
		Groups: []*structs.TaskGroup{{
			Name: "web", Count: 2,
			Tasks: []*structs.Task{{
				Name: "server", Driver: "exec",
				Config: map[string]any{"command": "/bin/sleep", "args": []any{"3600"}},
			}},
		}},
	}
	j.Canonicalize()
	return j
}

func mockBatchJob(id string) *structs.Job {
	j := mockJob(id)
	j.Type = structs.JobTypeBatch
	return j
}

func mockNode(id string) *structs.Node {
	return &structs.Node{
		ID: id, Name: "node-" + id, Datacenter: "dc1", Status: structs.NodeStatusReady,
		Resources:  &structs.NodeResources{CPU: 4000, Cores: 4, MemoryMB: 8192},
		Attributes: map[string]string{"kernel.name": "linux"},
	}
}

func mockAlloc(id string, job *structs.Job, nodeID string) *structs.Allocation {
	return &structs.Allocation{
		ID: id, Namespace: job.Namespace, EvalID: "eval-" + job.ID, JobID: job.ID,
		Name: structs.AllocName(job.ID, "web", 0), NodeID: nodeID, TaskGroup: "web",
		Resources:     &structs.Resources{CPU: 100, MemoryMB: 64},
		DesiredStatus: structs.AllocDesiredRun, ClientStatus: structs.AllocClientPending,
	}
}

func mockEval(id string, job *structs.Job, status string) *structs.Evaluation {
	return &structs.Evaluation{
		ID: id, Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: structs.EvalTriggerJobRegister, JobID: job.ID, Status: status,
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// asJSON renders v for comparisons that must not depend on nil versus empty
// slices (which msgpack round trips do not preserve).
func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, x := range items {
		out[i] = id(x)
	}
	return out
}

func allocID(a *structs.Allocation) string { return a.ID }

func jobVersionList(jobs []*structs.Job) string {
	var s string
	for _, j := range jobs {
		s += fmt.Sprintf("%d,", j.Version)
	}
	return s
}

func reflectValue(v any) reflect.Value { return reflect.ValueOf(v) }
