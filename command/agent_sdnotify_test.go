package command

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// listenNotify is a unixgram socket standing in for systemd's.
func listenNotify(t *testing.T) (*net.UnixConn, string) {
	t.Helper()
	// Unix socket paths are short (108 bytes): not under t.TempDir's long name.
	dir, err := os.MkdirTemp("", "sd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn, path
}

// The notifier takes the address out of the environment (tasks must not
// inherit it) and delivers each state as one datagram; without the
// variable it sends nothing and reports no error.
func TestSDNotifier(t *testing.T) {
	conn, path := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", path)
	n := newSDNotifier()
	if n == nil {
		t.Fatal("no notifier with NOTIFY_SOCKET set")
	}
	if v, ok := os.LookupEnv("NOTIFY_SOCKET"); ok {
		t.Errorf("NOTIFY_SOCKET still set (%q): tasks would inherit it", v)
	}
	for _, state := range []string{"READY=1", reloadingState(), "STOPPING=1"} {
		if err := n.notify(state); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 512)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("read %s: %v", state, err)
		}
		if string(buf[:k]) != state {
			t.Errorf("got %q, want %q", buf[:k], state)
		}
	}
	if !strings.HasPrefix(reloadingState(), "RELOADING=1\nMONOTONIC_USEC=") {
		t.Errorf("reloading state %q", reloadingState())
	}
	var none *sdNotifier
	if err := none.notify("READY=1"); err != nil {
		t.Errorf("nil notifier: %v", err)
	}
	if newSDNotifier() != nil {
		t.Error("a notifier without NOTIFY_SOCKET")
	}
}
