package executor_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/shared/executor"
)

func TestStopKillsWholeProcessGroup(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/tree", "sleep 300 & sleep 300")
	h := start(t, d, cfg)
	// sh plus both sleeps must be up before stopping, or the test proves nothing.
	waitFor(t, "three processes in the task's group", func() bool {
		return len(groupMembers(t, h.PID)) == 3
	})
	if err := d.StopTask(cfg.ID, 5*time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	res := wait(t, d, cfg.ID)
	if res.Signal != int(syscall.SIGTERM) || res.ExitCode != 128+int(syscall.SIGTERM) {
		t.Errorf("exit = %+v, want killed by SIGTERM", res)
	}
	assertGroupGone(t, h.PID)
}

func TestLeftoversKilledWhenLeaderExits(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/orphan", "sleep 300 & echo started")
	h := start(t, d, cfg)
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v", res)
	}
	assertGroupGone(t, h.PID)
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/stubborn", `trap "" TERM; touch ready; while :; do sleep 0.1; done`)
	start(t, d, cfg)
	waitFor(t, "the TERM trap", fileExists(filepath.Join(cfg.TaskDir, "ready")))
	if err := d.StopTask(cfg.ID, 300*time.Millisecond, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	res := wait(t, d, cfg.ID)
	if res.Signal != int(syscall.SIGKILL) || res.ExitCode != 137 {
		t.Fatalf("exit = %+v, want SIGKILL after the timeout", res)
	}
}

func TestStopWithCustomSignal(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/int", `trap "echo bye; exit 0" INT; touch ready; while :; do sleep 0.1; done`)
	start(t, d, cfg)
	waitFor(t, "the INT trap", fileExists(filepath.Join(cfg.TaskDir, "ready")))
	if err := d.StopTask(cfg.ID, 10*time.Second, "INT"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if res := wait(t, d, cfg.ID); !res.Successful() {
		t.Fatalf("exit = %+v, want a clean exit from the INT trap", res)
	}
	if got := readFile(t, cfg.StdoutPath); got != "bye\n" {
		t.Fatalf("stdout = %q", got)
	}
}

func TestSignalTask(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/sig", `trap "echo got-usr1; exit 7" USR1; touch ready; while :; do sleep 0.1; done`)
	start(t, d, cfg)
	waitFor(t, "the USR1 trap", fileExists(filepath.Join(cfg.TaskDir, "ready")))
	if err := d.SignalTask(cfg.ID, "SIGBOGUS"); err == nil || !strings.Contains(err.Error(), "unknown signal") {
		t.Fatalf("SignalTask(SIGBOGUS) = %v, want unknown signal", err)
	}
	if err := d.SignalTask(cfg.ID, "SIGUSR1"); err != nil {
		t.Fatalf("SignalTask: %v", err)
	}
	if res := wait(t, d, cfg.ID); res.ExitCode != 7 {
		t.Fatalf("exit = %+v, want 7 from the trap", res)
	}
	if got := readFile(t, cfg.StdoutPath); got != "got-usr1\n" {
		t.Fatalf("stdout = %q", got)
	}
	if err := d.SignalTask(cfg.ID, "HUP"); err == nil {
		t.Fatal("signalling an exited task succeeded")
	}
}

func TestParseSignal(t *testing.T) {
	for in, want := range map[string]syscall.Signal{
		"SIGHUP": syscall.SIGHUP, "HUP": syscall.SIGHUP, "sigusr1": syscall.SIGUSR1,
		"9": syscall.SIGKILL, "": syscall.SIGTERM,
	} {
		got, err := executor.ParseSignal(in, syscall.SIGTERM)
		if err != nil || got != want {
			t.Errorf("ParseSignal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"SIGNOPE", "0", "999", "-1"} {
		if _, err := executor.ParseSignal(bad, 0); err == nil {
			t.Errorf("ParseSignal(%q) succeeded", bad)
		}
	}
}

func TestBadConfig(t *testing.T) {
	d := newDriver(t)
	cases := map[string]struct {
		config map[string]any
		want   string
	}{
		"missing command": {map[string]any{"args": []any{"x"}}, "config: command is required"},
		"unknown keys":    {map[string]any{"command": "/bin/true", "image": "x", "argz": 1}, "unknown keys argz, image"},
		"args not a list": {map[string]any{"command": "/bin/true", "args": "-c"}, "args must be a list"},
		"arg not string":  {map[string]any{"command": "/bin/true", "args": []any{"a", 1.0}}, "args[1] must be a string"},
		"command type":    {map[string]any{"command": 42}, "command must be a string"},
		"not found":       {map[string]any{"command": "no-such-binary-appmesh"}, "not found in PATH"},
		"not executable":  {map[string]any{"command": "/etc/passwd"}, "not an executable"},
		"bad work_dir":    {map[string]any{"command": "/bin/true", "work_dir": "/no/such/dir"}, "work_dir"},
		"stdin type":      {map[string]any{"command": "/bin/true", "stdin": "yes"}, "stdin must be true or false"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := shTask(t, "bad/"+name, "")
			cfg.Config = tc.config
			_, err := d.StartTask(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("StartTask error = %v, want it to mention %q", err, tc.want)
			}
			if _, err := d.InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
				t.Fatalf("a failed start left the task behind: %v", err)
			}
		})
	}
}

func TestUnknownUser(t *testing.T) {
	cfg := shTask(t, "a/nouser", "true")
	cfg.User = "no-such-user-appmesh"
	if _, err := newDriver(t).StartTask(cfg); err == nil || !strings.Contains(err.Error(), "no-such-user-appmesh") {
		t.Fatalf("StartTask = %v, want an error naming the user", err)
	}
}

func TestTaskIDs(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/dup", "sleep 300")
	first := start(t, d, cfg)
	// A second start of the same task (an agent killed before it saved the
	// first handle asks again) returns the first task, not a second copy.
	again, err := d.StartTask(cfg)
	if err != nil || again.PID != first.PID {
		t.Fatalf("second StartTask with the same id = %+v, %v; want the first task (pid %d)", again, err, first.PID)
	}
	for name, call := range map[string]func() error{
		"wait":    func() error { _, err := d.WaitTask(context.Background(), "nope"); return err },
		"stop":    func() error { return d.StopTask("nope", time.Second, "") },
		"destroy": func() error { return d.DestroyTask("nope", true) },
		"inspect": func() error { _, err := d.InspectTask("nope"); return err },
		"signal":  func() error { return d.SignalTask("nope", "HUP") },
	} {
		if err := call(); !errors.Is(err, drivers.ErrTaskNotFound) {
			t.Errorf("%s of an unknown task = %v, want ErrTaskNotFound", name, err)
		}
	}
}

func TestDestroy(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/destroy", "sleep 300")
	h := start(t, d, cfg)
	if err := d.DestroyTask(cfg.ID, false); err == nil {
		t.Fatal("destroying a running task without force succeeded")
	}
	if err := d.DestroyTask(cfg.ID, true); err != nil {
		t.Fatalf("DestroyTask(force): %v", err)
	}
	assertGroupGone(t, h.PID)
	if _, err := d.InspectTask(cfg.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("destroyed task still known: %v", err)
	}
}

func TestWaitHonoursContext(t *testing.T) {
	d := newDriver(t)
	cfg := shTask(t, "a/ctx", "sleep 300")
	start(t, d, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := d.WaitTask(ctx, cfg.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitTask = %v, want deadline exceeded", err)
	}
}

// TestRecover re-attaches a second driver to a process it did not start.
func TestRecover(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 300 & sleep 300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reaped := make(chan struct{})
	go func() { _ = cmd.Wait(); close(reaped) }() // the test process is the parent
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); <-reaped })

	d := newDriver(t)
	h := &drivers.TaskHandle{ID: "a/recovered", Driver: "raw_exec", PID: cmd.Process.Pid, StartedAt: time.Now()}
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("second RecoverTask: %v", err)
	}
	if st, err := d.InspectTask(h.ID); err != nil || st.State != drivers.TaskStateRunning || st.PID != h.PID {
		t.Fatalf("inspect = %+v, %v", st, err)
	}
	waitFor(t, "three processes", func() bool { return len(groupMembers(t, h.PID)) == 3 })
	if err := d.StopTask(h.ID, 5*time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	res := wait(t, d, h.ID)
	if res.ExitCode != -1 || !strings.Contains(res.Err, "exit code unknown") {
		t.Fatalf("exit = %+v, want unknown exit code", res)
	}
	<-reaped
	assertGroupGone(t, h.PID)
}

func TestRecoverDeadProcess(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	h := &drivers.TaskHandle{ID: "a/dead", PID: cmd.Process.Pid}
	err := newDriver(t).RecoverTask(h)
	if err == nil || !strings.Contains(err.Error(), "no longer running") {
		t.Fatalf("RecoverTask of a dead pid = %v", err)
	}
}

// TestRecoverRejectsReusedPID checks that a handle whose recorded start time
// does not match the running process is refused.
func TestRecoverRejectsReusedPID(t *testing.T) {
	h := &drivers.TaskHandle{ID: "a/reused", PID: os.Getpid(),
		DriverState: []byte(`{"pid":` + strconv.Itoa(os.Getpid()) + `,"pgid":1,"start_ticks":1}`)}
	if err := newDriver(t).RecoverTask(h); err == nil {
		t.Fatal("RecoverTask accepted a pid with a different start time")
	}
}

// TestStopGivesChildrenTheGracePeriod: the leader dies at once on SIGTERM,
// but its background child traps TERM and needs a moment to finish; it must
// get that moment rather than an immediate SIGKILL.
func TestStopGivesChildrenTheGracePeriod(t *testing.T) {
	d := newDriver(t)
	child := `trap "sleep 0.3; echo child-clean > done; exit 0" TERM; touch ready; while :; do sleep 0.05; done`
	cfg := shTask(t, "a/grace", `/bin/sh -c '`+child+`' & wait`)
	h := start(t, d, cfg)
	waitFor(t, "the child's trap", fileExists(filepath.Join(cfg.TaskDir, "ready")))
	if err := d.StopTask(cfg.ID, 10*time.Second, ""); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	wait(t, d, cfg.ID)
	if got := readFile(t, filepath.Join(cfg.TaskDir, "done")); got != "child-clean\n" {
		t.Fatalf("child's shutdown output = %q", got)
	}
	assertGroupGone(t, h.PID)
}
