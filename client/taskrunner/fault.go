package taskrunner

import (
	"os"
	"syscall"
)

// FaultKillAfterStartEnv names a task; an agent with it set kills itself
// with SIGKILL right after the driver started that task and before the
// handle was saved. Only tests set it: that crash window cannot be hit
// from outside on purpose, and a restarted agent must re-attach to the
// task rather than start a second copy (e2e TestCrashAfterTaskStart).
const FaultKillAfterStartEnv = "APPMESH_FAULT_KILL_AFTER_START"

func faultAfterStart(task string) {
	if v := os.Getenv(FaultKillAfterStartEnv); v != "" && v == task {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
}
