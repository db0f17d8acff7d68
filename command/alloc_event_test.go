package command

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// TestEventDescriptionSaysEachThingOnce: the events the client writes for
// an OOM kill and a driver failure carry the same facts in the message and
// in fields; alloc status prints each once.
func TestEventDescriptionSaysEachThingOnce(t *testing.T) {
	code := 137
	oom := &structs.TaskEvent{Type: structs.TaskEventTerminated, ExitCode: &code, Signal: 9,
		Message: "Exit Code: 137, Signal: 9, OOM Killed, Error: memory limit reached", Error: "memory limit reached"}
	driver := &structs.TaskEvent{Type: structs.TaskEventDriverFailure,
		Message: "start task: config: command: stat /x: no such file or directory",
		Error:   "start task: config: command: stat /x: no such file or directory"}
	for _, tc := range []struct {
		e    *structs.TaskEvent
		once []string
	}{
		{oom, []string{"137", "9", "OOM Killed", "memory limit reached"}},
		{driver, []string{"no such file or directory"}},
	} {
		got := eventDescription(tc.e)
		for _, w := range tc.once {
			if n := strings.Count(got, w); n != 1 {
				t.Errorf("%s event: %q appears %d times in %q, want once", tc.e.Type, w, n, got)
			}
		}
	}
}
