package taskrunner

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

type oneDriver struct{ d drivers.Driver }

func (o oneDriver) Dispense(name string) (drivers.Driver, error) { return o.d, nil }

// newRunner builds a task runner for a raw_exec task running sh -c script.
func newRunner(t *testing.T, script string) (*TaskRunner, *allocdir.AllocDir) {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "group"}
	dir, err := allocdir.New(t.TempDir(), alloc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Build(); err != nil {
		t.Fatal(err)
	}
	task := &structs.Task{
		Name:        "web",
		Driver:      rawexec.Name,
		Config:      map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		Env:         map[string]string{"GREETING": "hi"},
		KillTimeout: structs.Duration(2 * time.Second),
	}
	tr, err := New(&Config{Alloc: alloc, Task: task, AllocDir: dir, Drivers: oneDriver{rawexec.New(logger)}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	return tr, dir
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func runAsync(t *testing.T, tr *TaskRunner) {
	t.Helper()
	go tr.Run()
	t.Cleanup(func() {
		tr.Kill("test over")
		<-tr.WaitCh()
	})
}

func waitDone(t *testing.T, tr *TaskRunner, d time.Duration) {
	t.Helper()
	select {
	case <-tr.WaitCh():
	case <-time.After(d):
		t.Fatalf("task still running after %s: %+v", d, tr.State())
	}
}

func hasEvent(s *structs.TaskState, typ string) *structs.TaskEvent {
	for _, e := range s.Events {
		if e.Type == typ {
			return e
		}
	}
	return nil
}

func TestTaskRunner_ExitCode(t *testing.T) {
	tr, dir := newRunner(t, `echo hi; echo "env=$GREETING $APPMESH_TASK_NAME $APPMESH_JOB_ID"; echo oops >&2; exit 3`)
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)

	s := tr.State()
	if s.State != structs.TaskStateDead || !s.Failed {
		t.Fatalf("want dead and failed, got state %q failed %v", s.State, s.Failed)
	}
	if s.ExitCode == nil || *s.ExitCode != 3 {
		t.Fatalf("want exit code 3, got %v", s.ExitCode)
	}
	if s.StartedAt == 0 || s.FinishedAt < s.StartedAt {
		t.Fatalf("bad times: started %d finished %d", s.StartedAt, s.FinishedAt)
	}
	ev := hasEvent(s, structs.TaskEventTerminated)
	if ev == nil || ev.Message != "Exit Code: 3" || ev.ExitCode == nil || *ev.ExitCode != 3 {
		t.Fatalf("want Terminated event with exit code 3, got %+v", s.Events)
	}
	for _, typ := range []string{structs.TaskEventReceived, structs.TaskEventSetup, structs.TaskEventStarted} {
		if hasEvent(s, typ) == nil {
			t.Errorf("missing event %q", typ)
		}
	}
	out, err := os.ReadFile(dir.LogPath("web", allocdir.LogStdout))
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "hi\nenv=hi web job\n" {
		t.Fatalf("stdout = %q", out)
	}
	errOut, _ := os.ReadFile(dir.LogPath("web", allocdir.LogStderr))
	if string(errOut) != "oops\n" {
		t.Fatalf("stderr = %q", errOut)
	}
}

func TestTaskRunner_SuccessIsNotFailed(t *testing.T) {
	tr, _ := newRunner(t, `exit 0`)
	runAsync(t, tr)
	waitDone(t, tr, 60*time.Second)
	s := tr.State()
	if s.State != structs.TaskStateDead || s.Failed || s.ExitCode == nil || *s.ExitCode != 0 {
		t.Fatalf("want dead, not failed, exit 0: %+v", s)
	}
}

func TestTaskRunner_KillStopsLongTask(t *testing.T) {
	tr, dir := newRunner(t, `echo $$ > "$APPMESH_TASK_DIR/pid"; exec sleep 600`)
	runAsync(t, tr)
	pidFile := dir.TaskDir("web") + "/pid"
	deadline := time.Now().Add(60 * time.Second)
	for tr.State().State != structs.TaskStateRunning || !fileExists(pidFile) {
		if time.Now().After(deadline) {
			t.Fatalf("task did not start: %+v", tr.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
	tr.Kill("test")
	waitDone(t, tr, 60*time.Second)

	s := tr.State()
	if s.State != structs.TaskStateDead || s.Failed {
		t.Fatalf("want dead and not failed after a kill, got %+v", s)
	}
	for _, typ := range []string{structs.TaskEventKilling, structs.TaskEventTerminated, structs.TaskEventKilled} {
		if hasEvent(s, typ) == nil {
			t.Errorf("missing event %q in %+v", typ, s.Events)
		}
	}
	b, _ := os.ReadFile(pidFile)
	if pid := strings.TrimSpace(string(b)); pid == "" || fileExists("/proc/"+pid+"/cmdline") && processAlive(pid) {
		t.Fatalf("process %q still alive", pid)
	}
}

func TestTaskRunner_KilledBeforeStart(t *testing.T) {
	tr, _ := newRunner(t, `exit 0`)
	tr.Kill("never mind")
	tr.Run()
	s := tr.State()
	if s.State != structs.TaskStateDead || s.Failed || hasEvent(s, structs.TaskEventKilled) == nil {
		t.Fatalf("want dead, not failed, Killed event: %+v", s)
	}
}

func TestTaskRunner_DriverFailure(t *testing.T) {
	tr, _ := newRunner(t, "")
	tr.task.Config = map[string]any{"command": "/does/not/exist"}
	tr.Run()
	s := tr.State()
	ev := hasEvent(s, structs.TaskEventDriverFailure)
	if s.State != structs.TaskStateDead || !s.Failed || ev == nil || ev.Error == "" {
		t.Fatalf("want dead, failed, Driver Failure with error: %+v", s)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// processAlive treats zombies as dead: they no longer run anything.
func processAlive(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

func readFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	return string(b), err
}

// waitUntil polls cond; the deadline only bounds a hung test.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, cond)
}
