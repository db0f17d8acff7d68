package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/drivers/builtin"
	"github.com/appmesh/appmesh/drivers/drivertest"
)

// TestMain lets the test binary stand in for the appmesh binary when a
// client of an in-process agent re-executes it as "<exe> driver-plugin NAME".
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "driver-plugin" {
		if err := builtin.ServePlugin(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(os.Args) > 2 && os.Args[1] == "connect" && os.Args[2] == "proxy" {
		standInProxy() // the sidecar proxy task the servers inject
	}
	os.Exit(m.Run())
}

// standInProxy stands in for `appmesh connect proxy` (not part of these
// tests): it runs until the task is stopped.
func standInProxy() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	os.Exit(0)
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startTestAgent starts a real in-process agent: dev (server and client)
// or, with servers, a client-only agent of those servers.
func startTestAgent(t *testing.T, name string, servers ...string) (*Agent, *api.Client) {
	t.Helper()
	return startTestAgentWith(t, name, nil, servers...)
}

// startTestAgentWith is startTestAgent with the configuration changed by
// mut (nil: none) before the agent starts.
func startTestAgentWith(t *testing.T, name string, mut func(*Config), servers ...string) (*Agent, *api.Client) {
	t.Helper()
	cfg := DevConfig()
	cfg.Name = name
	cfg.LogLevel = "ERROR"
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)
	if len(servers) > 0 {
		cfg.Server.Enabled = false
		cfg.Client.Servers = servers
	}
	if mut != nil {
		mut(cfg)
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Error, Output: os.Stderr})
	a, err := NewAgent(cfg, logger)
	if err != nil {
		t.Fatalf("start agent %s: %v", name, err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	c, err := api.NewClient(&api.Config{Address: "http://" + a.HTTPAddr()})
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

// runSleepJob registers a raw_exec job on the named node and returns its
// running allocation's ID.
func runSleepJob(t *testing.T, c *api.Client, jobID, node string) string {
	t.Helper()
	body := fmt.Sprintf(`{"job":{"id":%q,"type":"service","constraints":[{"attribute":"${node.unique.name}","value":%q}],
	  "groups":[{"name":"g","count":1,"tasks":[{"name":"t","driver":"raw_exec",
	  "config":{"command":"/bin/sh","args":["-c","exec sleep 600"]}}]}]}}`, jobID, node)
	req, _ := http.NewRequest(http.MethodPut, c.Address()+"/v1/jobs", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("register %s: %d %s", jobID, resp.StatusCode, b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		allocs, _, err := c.Jobs().Allocations(jobID, false, nil)
		if err == nil && len(allocs) == 1 && allocs[0].ClientStatus == "running" {
			return allocs[0].ID
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s never ran", jobID)
	return ""
}

type execOutcome struct {
	code int
	err  error
}

// ttySession runs the brief's check through c: a command on a terminal of
// the given size that reads a line and exits 7.
func ttySession(t *testing.T, c *api.Client, allocID string) {
	t.Helper()
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	var out drivertest.SyncBuffer
	done := make(chan execOutcome, 1)
	go func() {
		code, err := c.Allocations().ExecStream(context.Background(), allocID, &api.ExecStreamOptions{
			Command: []string{"/bin/sh", "-c", `tty; stty size; read x; echo got:$x; exit 7`},
			TTY:     true, Size: &api.TerminalSize{Height: 33, Width: 97},
			Stdin: stdinR, Stdout: &out, Stderr: &out,
		})
		done <- execOutcome{code, err}
	}()
	out.WaitFor(t, "33 97")
	_, _ = stdinW.Write([]byte("hello\n"))
	var r execOutcome
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("session did not end; output %q", out.String())
	}
	if r.err != nil || r.code != 7 {
		t.Fatalf("ExecStream = %d, %v; want 7 (output %q)", r.code, r.err, out.String())
	}
	for _, want := range []string{"/dev/pts/", "33 97", "got:hello"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output %q does not contain %q", out.String(), want)
		}
	}
}

func TestExecStreamOnRealAgent(t *testing.T) {
	a, c := startTestAgent(t, "n1")
	allocID := runSleepJob(t, c, "sleepy", "n1")
	t.Run("tty", func(t *testing.T) { ttySession(t, c, allocID) })
	t.Run("pipes", func(t *testing.T) {
		var out, errOut drivertest.SyncBuffer
		code, err := c.Allocations().ExecStream(context.Background(), allocID, &api.ExecStreamOptions{
			Task: "t", Command: []string{"/bin/sh", "-c", "cat; echo oops >&2; exit 3"},
			Stdin: strings.NewReader("abc\n"), Stdout: &out, Stderr: &errOut,
		})
		if err != nil || code != 3 || out.String() != "abc\n" || errOut.String() != "oops\n" {
			t.Fatalf("ExecStream = %d, %v, stdout %q, stderr %q", code, err, out.String(), errOut.String())
		}
	})
	t.Run("bad input", func(t *testing.T) { execBadInput(t, a, c, allocID) })
	t.Run("closing kills", func(t *testing.T) { execCloseKills(t, c, allocID) })
	t.Run("silent peer is dropped", func(t *testing.T) { execSilentPeerDropped(t, c, allocID) })
	t.Run("allocation not running", func(t *testing.T) {
		if _, _, err := c.Jobs().Deregister("sleepy", false); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			al, _, err := c.Allocations().Info(allocID, nil)
			if err == nil && al.ClientStatus != "running" && al.ClientStatus != "pending" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("allocation still running: %+v %v", al, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		_, err := c.Allocations().ExecStream(context.Background(), allocID, &api.ExecStreamOptions{Command: []string{"/bin/true"}})
		var se *api.StatusError
		if !errors.As(err, &se) || (se.Code != 400 && se.Code != 404) || !strings.Contains(se.Message, "not running") {
			t.Fatalf("exec in a stopped allocation: %v, want 400/404 saying it is not running", err)
		}
		t.Logf("exec in a stopped allocation: HTTP %d %s", se.Code, se.Message)
	})
}

func execBadInput(t *testing.T, a *Agent, c *api.Client, allocID string) {
	run := func(alloc, task string, cmd ...string) error {
		_, err := c.Allocations().ExecStream(context.Background(), alloc, &api.ExecStreamOptions{Task: task, Command: cmd})
		return err
	}
	cases := []struct {
		name       string
		err        error
		code       int
		msgSnippet string
	}{
		{"unknown allocation", run("6b4f1f4e-0000-4000-8000-000000000000", "", "/bin/true"), 404, "not found"},
		{"unknown task", run(allocID, "nope", "/bin/true"), 404, `no task "nope"`},
		{"command not found", run(allocID, "", "no-such-program"), 400, `"no-such-program" not found`},
		{"empty command", run(allocID, ""), 400, "missing command"},
	}
	for _, tc := range cases {
		var se *api.StatusError
		if !errors.As(tc.err, &se) || se.Code != tc.code || !strings.Contains(se.Message, tc.msgSnippet) {
			t.Errorf("%s: %v (%T), want HTTP %d with %q", tc.name, tc.err, tc.err, tc.code, tc.msgSnippet)
		}
	}
	// A plain GET is not an exec.
	resp, err := http.Get("http://" + a.HTTPAddr() + "/v1/client/allocation/" + allocID + `/exec?command=["ls"]`)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "WebSocket") {
		t.Errorf("plain GET: %d %s", resp.StatusCode, b)
	}
	// A malformed message ends the session with a clear error.
	u := "ws://" + a.HTTPAddr() + "/v1/client/allocation/" + allocID + "/exec?command=" + url.QueryEscape(`["/bin/cat"]`)
	ws, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"stdin":{"data":"not base64!"}}`))
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(msg), `"code":400`) || !strings.Contains(string(msg), "malformed message") {
		t.Fatalf("malformed message: got %s, %v", msg, err)
	}
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4400 {
		t.Fatalf("close after a malformed message: %v, want close code 4400", err)
	}
}

// execCloseKills ends a session from the user's side and checks that the
// command (and what it started) is gone.
func execCloseKills(t *testing.T, c *api.Client, allocID string) {
	ctx, cancel := context.WithCancel(context.Background())
	var out drivertest.SyncBuffer
	done := make(chan error, 1)
	stdinR, stdinW := io.Pipe()
	defer stdinW.Close()
	go func() {
		_, err := c.Allocations().ExecStream(ctx, allocID, &api.ExecStreamOptions{
			Command: []string{"/bin/sh", "-c", "sleep 300 & echo pid:$!:; wait"},
			Stdin:   stdinR, Stdout: &out, Stderr: &out,
		})
		done <- err
	}()
	out.WaitFor(t, ":\n")
	_, rest, _ := strings.Cut(out.String(), "pid:")
	pid, err := strconv.Atoi(strings.Split(rest, ":")[0])
	if err != nil {
		t.Fatalf("no pid in %q", out.String())
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a canceled session reported success")
	}
	deadline := time.Now().Add(60 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d outlived the closed session", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// execSilentPeerDropped opens a session by hand, then stops reading, so
// the server's pings go unanswered: the session must end and its command
// be killed, instead of running on for a peer that is gone.
func execSilentPeerDropped(t *testing.T, c *api.Client, allocID string) {
	old := execPingInterval
	execPingInterval = 100 * time.Millisecond
	defer func() { execPingInterval = old }()

	u, err := url.Parse(c.Address())
	if err != nil {
		t.Fatal(err)
	}
	u.Scheme = "ws"
	u.Path = "/v1/client/allocation/" + allocID + "/exec"
	u.RawQuery = url.Values{"task": {"t"}, "command": {`["/bin/sh","-c","sleep 300 & echo pid:$!:; wait"]`}}.Encode()
	ws, _, err := websocket.DefaultDialer.Dial(u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var pid int
	for pid == 0 {
		_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("no pid before the session ended: %v", err)
		}
		var f struct {
			Stdout *struct{ Data []byte } `json:"stdout"`
		}
		if json.Unmarshal(data, &f) == nil && f.Stdout != nil {
			if _, rest, ok := strings.Cut(string(f.Stdout.Data), "pid:"); ok {
				pid, _ = strconv.Atoi(strings.Split(rest, ":")[0])
			}
		}
	}
	// From here on nothing reads, so no pong is sent.
	deadline := time.Now().Add(60 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("process %d kept running for a peer that answers no pings", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestExecStreamRelayed reaches an allocation through an agent that does
// not run it, both ways: a server relays to a client-only agent over the
// session that client opened, and a client-only agent forwards to its
// server, which serves its own node.
// The server has a join token: the client-only agent, which has none,
// still reaches it, announces its node and relays its users' sessions.
func TestExecStreamRelayed(t *testing.T) {
	a1, c1 := startTestAgentWith(t, "srv", func(c *Config) { c.Server.JoinToken = "cluster-token" })
	rpcAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(a1.config.Ports.RPC))
	_, c2 := startTestAgent(t, "cli", rpcAddr)
	onClient := runSleepJob(t, c1, "on-client", "cli")
	onServer := runSleepJob(t, c1, "on-server", "srv")
	t.Run("server to client", func(t *testing.T) { ttySession(t, c1, onClient) })
	t.Run("client to server", func(t *testing.T) { ttySession(t, c2, onServer) })
}
