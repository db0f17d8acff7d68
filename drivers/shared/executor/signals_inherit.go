package executor

import (
	"os"
	"os/signal"
	"syscall"
)

// inheritableSignals are the signals a host started under nohup, or by a
// supervisor that ignores them, would pass on ignored to every task.
var inheritableSignals = []os.Signal{syscall.SIGHUP, syscall.SIGPIPE}

// unignoreTaskSignals makes sure a task starts with the default action for
// SIGHUP and SIGPIPE. An ignored signal stays ignored across exec (and a
// shell cannot even trap a signal ignored on entry), while a caught one is
// reset to its default: so a signal the host ignores is caught, into a
// channel nobody reads. Driver plugins catch both when they start
// (drivers.Serve); this covers drivers run in the host's own process, as
// in tests and embedders. Cheap when nothing is ignored.
func unignoreTaskSignals() {
	var ignored []os.Signal
	for _, s := range inheritableSignals {
		if signal.Ignored(s) {
			ignored = append(ignored, s)
		}
	}
	if len(ignored) > 0 {
		signal.Notify(make(chan os.Signal, 1), ignored...)
	}
}
