package command

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// sdNotifier tells systemd (a unit of Type=notify) about the agent's
// state through the datagram socket named by $NOTIFY_SOCKET. It is
// written here rather than with go-systemd's daemon package because that
// one reads the variable at each call: the agent takes the address once
// and removes the variable, so that tasks and driver plugins, which
// inherit the agent's environment, cannot speak for the agent's unit.
type sdNotifier struct {
	addr *net.UnixAddr
}

// newSDNotifier takes $NOTIFY_SOCKET out of the environment; nil when the
// agent does not run under a notify-aware supervisor. A leading '@' (an
// abstract socket) is understood by Go's unix addresses as it is.
func newSDNotifier() *sdNotifier {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	_ = os.Unsetenv("NOTIFY_SOCKET")
	return &sdNotifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// notify sends one state message ("READY=1", ...); a nil notifier sends
// nothing.
func (n *sdNotifier) notify(state string) error {
	if n == nil {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify %q: dial %s: %w", state, n.addr.Name, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify %q: send to %s: %w", state, n.addr.Name, err)
	}
	return nil
}

// reloadingState is RELOADING=1 with the monotonic time systemd (since
// v253) wants beside it to tell this reload from an earlier one.
func reloadingState() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "RELOADING=1"
	}
	usec := ts.Sec*1e6 + ts.Nsec/1e3
	return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(usec, 10)
}
