package executor_test

import (
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// A host that ignores SIGHUP (started under nohup, as CI runs are) must not
// pass the ignore on: a shell task that traps SIGHUP gets it. Before, the
// task inherited SIG_IGN and the shell could not even set the trap.
func TestTaskTrapsSIGHUPWhenTheHostIgnoresIt(t *testing.T) {
	signal.Ignore(syscall.SIGHUP)
	t.Cleanup(func() { signal.Reset(syscall.SIGHUP) })
	if !signal.Ignored(syscall.SIGHUP) {
		t.Fatal("set-up: SIGHUP is not ignored in the test process")
	}
	d := newDriver(t)
	cfg := shTask(t, "a/hup", `trap 'echo trapped' HUP; kill -HUP $$; echo after`)
	start(t, d, cfg)
	res := wait(t, d, cfg.ID)
	out := readFile(t, cfg.StdoutPath)
	if !strings.Contains(out, "trapped") || !res.Successful() {
		t.Fatalf("task output %q, exit %+v: want the trap to run (SIGHUP reached the task ignored)", out, res)
	}
}
