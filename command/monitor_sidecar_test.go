package command

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// A sidecar the client stopped when the main task of a batch job finished
// exits by a signal; job run must not report that as trouble, while a task
// that exited non-zero on its own still is.
func TestTaskTroubleIgnoresClientKills(t *testing.T) {
	code := 143
	stopped := &structs.TaskState{State: structs.TaskStateDead, ExitCode: &code, Events: []*structs.TaskEvent{
		{Type: structs.TaskEventTerminated}, {Type: structs.TaskEventKilled, Message: "Task successfully killed"}}}
	crashed := &structs.TaskState{State: structs.TaskStateDead, ExitCode: &code, Events: []*structs.TaskEvent{
		{Type: structs.TaskEventTerminated, Message: "Exit Code: 143"}}}
	if got := taskTrouble([]*structs.AllocListStub{{ID: "a1", TaskStates: map[string]*structs.TaskState{"proxy": stopped}}}); got != "" {
		t.Fatalf("a stopped sidecar reported as trouble: %s", got)
	}
	if got := taskTrouble([]*structs.AllocListStub{{ID: "a1", TaskStates: map[string]*structs.TaskState{"main": crashed}}}); got == "" {
		t.Fatal("a task that exited 143 on its own is not reported")
	}
}
