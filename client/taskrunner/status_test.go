package taskrunner

import (
	"testing"
	"time"
)

// The App Mesh-style status fields: starts, last exit code and times, and
// the last error.
func TestTaskRunner_StatusFields(t *testing.T) {
	tr, _ := newRunner(t, `exit 4`)
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	if s.Starts != 1 || s.ExitCode == nil || *s.ExitCode != 4 || s.StartedAt == 0 || s.FinishedAt < s.StartedAt {
		t.Fatalf("want starts 1, exit code 4, start and exit times: %+v", s)
	}
	if s.NextStart != 0 || s.Health != "" || s.Checks != nil {
		t.Fatalf("want no next start and no health without window and checks: %+v", s)
	}

	bad, _ := newRunner(t, "")
	bad.task.Config = map[string]any{"command": "/does/not/exist"}
	bad.Run()
	s = bad.State()
	if s.LastError == "" || s.Starts != 0 {
		t.Fatalf("want the driver's error as last_error and no start: %+v", s)
	}
}
