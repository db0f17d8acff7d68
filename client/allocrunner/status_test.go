package allocrunner

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestClientStatus(t *testing.T) {
	pending := &structs.TaskState{State: structs.TaskStatePending}
	running := &structs.TaskState{State: structs.TaskStateRunning}
	done := &structs.TaskState{State: structs.TaskStateDead}
	failed := &structs.TaskState{State: structs.TaskStateDead, Failed: true}
	cases := []struct {
		name   string
		states map[string]*structs.TaskState
		want   string
	}{
		{"no tasks", nil, structs.AllocClientPending},
		{"all pending", map[string]*structs.TaskState{"a": pending, "b": pending}, structs.AllocClientPending},
		{"one started one pending", map[string]*structs.TaskState{"a": running, "b": pending}, structs.AllocClientPending},
		{"missing state", map[string]*structs.TaskState{"a": running, "b": nil}, structs.AllocClientPending},
		{"all running", map[string]*structs.TaskState{"a": running, "b": running}, structs.AllocClientRunning},
		{"one running one done", map[string]*structs.TaskState{"a": running, "b": done}, structs.AllocClientRunning},
		{"all done", map[string]*structs.TaskState{"a": done, "b": done}, structs.AllocClientComplete},
		{"one failed one running", map[string]*structs.TaskState{"a": failed, "b": running}, structs.AllocClientFailed},
		{"one failed one done", map[string]*structs.TaskState{"a": failed, "b": done}, structs.AllocClientFailed},
		{"failed while pending", map[string]*structs.TaskState{"a": failed, "b": pending}, structs.AllocClientFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, desc := ClientStatus(tc.states)
			if got != tc.want {
				t.Fatalf("got %q (%s), want %q", got, desc, tc.want)
			}
			if desc == "" {
				t.Fatal("empty description")
			}
		})
	}
}
