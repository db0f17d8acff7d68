package e2e

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sdSocket is a unixgram socket standing in for systemd's notify socket.
type sdSocket struct {
	t    *testing.T
	conn *net.UnixConn
	path string
}

func newSDSocket(t *testing.T) *sdSocket {
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
	return &sdSocket{t: t, conn: conn, path: path}
}

// next is the next message, failing the test after waitTimeout.
func (s *sdSocket) next(what string) string {
	s.t.Helper()
	buf := make([]byte, 4096)
	_ = s.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	n, err := s.conn.Read(buf)
	if err != nil {
		s.t.Fatalf("waiting for %s on NOTIFY_SOCKET: %v", what, err)
	}
	return string(buf[:n])
}

// hasLine reports whether a notify message holds the line want.
func hasLine(msg, want string) bool {
	for _, l := range strings.Split(msg, "\n") {
		if l == want {
			return true
		}
	}
	return false
}

// TestSDNotify runs the built agent as systemd runs a Type=notify unit,
// with NOTIFY_SOCKET naming a socket the test listens on: the agent sends
// READY=1 once its API answers, RELOADING=1 (with MONOTONIC_USEC) and
// READY=1 around a SIGHUP reload, and STOPPING=1 on SIGTERM. Its tasks do
// not inherit NOTIFY_SOCKET.
func TestSDNotify(t *testing.T) {
	sd := newSDSocket(t)
	a := startAgent(t, agentOptions{dev: true, env: []string{"NOTIFY_SOCKET=" + sd.path}})
	// startAgent returned: the API answered. READY=1 came before that.
	if msg := sd.next("READY=1"); !hasLine(msg, "READY=1") {
		t.Fatalf("first notification %q, want READY=1", msg)
	}

	r := a.request("POST", "/appmesh/app/syncrun?timeout=60", []byte(`{"command":"env"}`))
	if r.status != 200 {
		t.Fatalf("syncrun env: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), "NOTIFY_SOCKET") {
		t.Errorf("a task inherited NOTIFY_SOCKET:\n%s", r.body)
	}
	if !strings.Contains(string(r.body), "PATH=") {
		t.Errorf("syncrun env printed no environment: %q", r.body)
	}

	a.hup()
	msg := sd.next("RELOADING=1")
	if !hasLine(msg, "RELOADING=1") || !strings.Contains(msg, "MONOTONIC_USEC=") {
		t.Errorf("on SIGHUP: %q, want RELOADING=1 with MONOTONIC_USEC", msg)
	}
	if msg := sd.next("READY=1 after the reload"); !hasLine(msg, "READY=1") {
		t.Errorf("after the reload: %q, want READY=1", msg)
	}

	if err := a.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if msg := sd.next("STOPPING=1"); !hasLine(msg, "STOPPING=1") {
		t.Errorf("on SIGTERM: %q, want STOPPING=1", msg)
	}
}
