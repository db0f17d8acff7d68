package allocrunner

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestClientStatus_WaitingForWindow(t *testing.T) {
	waiting := &structs.TaskState{State: structs.TaskStatePending, NextStart: 42}
	running := &structs.TaskState{State: structs.TaskStateRunning}
	if st, desc := ClientStatus(map[string]*structs.TaskState{"a": waiting}); st != structs.AllocClientPending || desc != "Waiting for the daily window" {
		t.Fatalf("got %q %q", st, desc)
	}
	starting := &structs.TaskState{State: structs.TaskStatePending}
	if _, desc := ClientStatus(map[string]*structs.TaskState{"a": waiting, "b": starting}); desc != "Tasks are starting" {
		t.Fatalf("a task that is simply starting wins: %q", desc)
	}
	if st, _ := ClientStatus(map[string]*structs.TaskState{"a": waiting, "b": running}); st != structs.AllocClientPending {
		t.Fatalf("got %q", st)
	}
}
