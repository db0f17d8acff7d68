package executor_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/shared/executor"
	"github.com/appmesh/appmesh/internal/testutil"
)

func newDriver(t *testing.T) *executor.Driver {
	t.Helper()
	return executor.NewDriver("raw_exec", hclog.NewNullLogger(), nil)
}

// shTask is a task running `/bin/sh -c script` in a fresh task dir.
func shTask(t *testing.T, id, script string) *drivers.TaskConfig {
	t.Helper()
	dir := t.TempDir()
	return &drivers.TaskConfig{
		ID:         id,
		TaskName:   id,
		Config:     map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		TaskDir:    dir,
		StdoutPath: filepath.Join(dir, "stdout.log"),
		StderrPath: filepath.Join(dir, "stderr.log"),
	}
}

func start(t *testing.T, d drivers.Driver, cfg *drivers.TaskConfig) *drivers.TaskHandle {
	t.Helper()
	h, err := d.StartTask(cfg)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(cfg.ID, true) })
	return h
}

func wait(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testutil.DefaultTimeout)
	defer cancel()
	res, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	return res
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

// waitFor polls cond; used only to wait for a task to reach a point, never
// to assert timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, cond)
}

func fileExists(path string) func() bool {
	return func() bool { _, err := os.Stat(path); return err == nil }
}

// groupMembers lists the live (non-zombie) processes in process group pgid.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("reading /proc: %v", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // exited meanwhile
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		// fields[0] is the state, fields[2] the process group.
		if len(fields) > 2 && fields[0] != "Z" && fields[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// assertGroupGone fails unless every process of group pgid is dead. A
// SIGKILLed process needs a moment to be scheduled and exit, so stragglers
// get a short grace; a process that was never killed (the tests' sleep 300)
// still fails the check.
func assertGroupGone(t *testing.T, pgid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		left := groupMembers(t, pgid)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of task group %d still alive: %v", pgid, left)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOutputAndExitCode(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/out", "echo out; echo err >&2; exit 3")
	h := start(t, d, cfg)
	if h.PID <= 0 || h.Driver != "raw_exec" || len(h.DriverState) == 0 {
		t.Fatalf("bad handle: %+v", h)
	}
	res := wait(t, d, cfg.ID)
	if res.ExitCode != 3 || res.Signal != 0 || res.Successful() {
		t.Fatalf("exit result = %+v, want code 3", res)
	}
	if got := readFile(t, cfg.StdoutPath); got != "out\n" {
		t.Errorf("stdout = %q", got)
	}
	if got := readFile(t, cfg.StderrPath); got != "err\n" {
		t.Errorf("stderr = %q", got)
	}
	st, err := d.InspectTask(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != drivers.TaskStateExited || st.PID != h.PID || st.ExitResult.ExitCode != 3 ||
		st.CompletedAt.Before(st.StartedAt) {
		t.Fatalf("inspect = %+v", st)
	}
}

func TestOutputIsAppended(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/append", "echo second")
	if err := os.WriteFile(cfg.StdoutPath, []byte("first\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, d, cfg)
	wait(t, d, cfg.ID)
	if got := readFile(t, cfg.StdoutPath); got != "first\nsecond\n" {
		t.Fatalf("stdout = %q, want the old content kept", got)
	}
}

func TestEnvAndWorkDir(t *testing.T) {
	t.Setenv("APPMESH_PLUGIN_ONLY", "leak")
	d := newDriver(t)
	cfg := shTask(t, "a/env", `echo "$GREETING|$PATH|${APPMESH_PLUGIN_ONLY-unset}"; pwd`)
	cfg.Env = map[string]string{"GREETING": "hello world"}
	cfg.Config["work_dir"] = "sub"
	if err := os.Mkdir(filepath.Join(cfg.TaskDir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	start(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v, stderr %q", res, readFile(t, cfg.StderrPath))
	}
	want := "hello world|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|unset\n" +
		filepath.Join(cfg.TaskDir, "sub") + "\n"
	if got := readFile(t, cfg.StdoutPath); got != want {
		t.Fatalf("stdout = %q, want %q", got, want)
	}
}

func TestCommandFromTaskPath(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/path", "")
	bin := filepath.Join(cfg.TaskDir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho from-task-path \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "greet"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Config = map[string]any{"command": "greet", "args": []string{"x"}}
	cfg.Env = map[string]string{"PATH": bin + ":/bin"}
	start(t, d, cfg)
	wait(t, d, cfg.ID)
	if got := readFile(t, cfg.StdoutPath); got != "from-task-path x\n" {
		t.Fatalf("stdout = %q", got)
	}
}

func TestUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running a task as another user needs root")
	}
	d := newDriver(t)
	cfg := shTask(t, "a/user", "id -u; echo $HOME")
	cfg.User = "nobody"
	cfg.Config["work_dir"] = "/" // nobody cannot enter the test's private temp dir
	start(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v, stderr %q", res, readFile(t, cfg.StderrPath))
	}
	if got := strings.Fields(readFile(t, cfg.StdoutPath)); len(got) != 2 || got[0] != "65534" {
		t.Fatalf("id -u; echo $HOME printed %q, want uid 65534", got)
	}
}
