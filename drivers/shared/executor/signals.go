package executor

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ParseSignal turns a signal name as written in a job ("SIGHUP", "HUP",
// "sigusr1") or its number ("15") into a signal. An empty name yields def.
func ParseSignal(name string, def unix.Signal) (unix.Signal, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return def, nil
	}
	if n, err := strconv.Atoi(name); err == nil {
		if n <= 0 || unix.SignalName(unix.Signal(n)) == "" {
			return 0, fmt.Errorf("unknown signal number %d", n)
		}
		return unix.Signal(n), nil
	}
	upper := strings.ToUpper(name)
	if !strings.HasPrefix(upper, "SIG") {
		upper = "SIG" + upper
	}
	sig := unix.SignalNum(upper)
	if sig == 0 {
		return 0, fmt.Errorf("unknown signal %q", name)
	}
	return sig, nil
}
