package cluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// tagEnv is set in every agent's environment; driver plugins and executors
// inherit it, so that cleanup finds every process an agent left behind.
const tagEnv = "APPMESH_E2E_CLUSTER_TAG"

// logTailLines is how much of each agent's log a failure shows.
const logTailLines = 60

// procAgent is one `appmesh agent` process on 127.0.0.1.
type procAgent struct {
	c       *procCluster
	name    string
	server  bool
	args    []string
	http    int
	rpc     int
	gossip  int
	dataDir string
	logPath string
	api     *apiClient

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current process has exited
}

// rpcAddr is the agent's RPC (and Raft) address, the form
// /v1/status/leader answers with.
func (a *procAgent) rpcAddr() string { return fmt.Sprintf("127.0.0.1:%d", a.rpc) }

func (a *procAgent) gossipAddr() string { return fmt.Sprintf("127.0.0.1:%d", a.gossip) }

// procCluster is the set of agents of one test, and their cleanup.
type procCluster struct {
	t       *testing.T
	dir     string
	tag     string
	mu      sync.Mutex
	agents  []*procAgent
	markers map[int]bool // task sleep durations to kill at cleanup
	// pki is set in secure mode (secure_test.go); token is then the
	// cluster's management token, once bootstrapped.
	pki   *securePKI
	token string
}

func newProcCluster(t *testing.T) *procCluster {
	t.Helper()
	c := &procCluster{
		t:       t,
		dir:     t.TempDir(),
		tag:     fmt.Sprintf("%d/%s/", runTag, t.Name()),
		markers: map[int]bool{},
	}
	// Registered after TempDir, so it runs before the directory goes.
	t.Cleanup(c.cleanup)
	if _, ok := secureTests.Load(t); ok {
		c.pki = newSecurePKI(t, filepath.Join(c.dir, "tls"), "")
	}
	return c
}

// track registers a task sleep duration whose processes cleanup kills.
func (c *procCluster) track(secs int) {
	c.mu.Lock()
	c.markers[secs] = true
	c.mu.Unlock()
}

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("pick a free port: %v", err)
		}
		lns = append(lns, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		// Gossip also needs the UDP port; an agent prepared earlier may
		// not have bound the ports it was given yet.
		if u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			u.Close()
			if takePort(port) {
				ports = append(ports, port)
			}
		}
	}
	return ports
}

// handedOut are the ports freePorts gave in this process, never given
// twice (the kernel could offer a port again before its agent binds it).
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

func takePort(port int) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[port] {
		return false
	}
	handedOut.ports[port] = true
	return true
}

// newServer prepares (does not start) a server agent.
func (c *procCluster) newServer(name string, expect int) *procAgent {
	p := freePorts(c.t, 3)
	a := &procAgent{c: c, name: name, server: true, http: p[0], rpc: p[1], gossip: p[2],
		dataDir: filepath.Join(c.dir, name)}
	a.args = []string{"agent", "-server", "-bootstrap-expect", strconv.Itoa(expect), "-node", name,
		"-bind", "127.0.0.1", "-http-port", strconv.Itoa(a.http), "-rpc-port", strconv.Itoa(a.rpc),
		"-gossip-port", strconv.Itoa(a.gossip), "-data-dir", a.dataDir, "-config", c.serverTuning()}
	if c.pki != nil {
		a.args = append(a.args, c.pki.agentArgs(true, "")...)
	}
	return c.add(a)
}

// serverTuning writes (once) the servers' config file: a failover
// heartbeat TTL short enough that a client killed right after a leader
// change is marked down within these tests' waits. The default (5m, as
// Nomad's) is tested by server.TestFailover_*; these tests are about
// client loss, and the cluster's first election may come just before it.
func (c *procCluster) serverTuning() string {
	path := filepath.Join(c.dir, "server-tuning.hcl")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	hcl := "server {\n  enabled = true\n  failover_heartbeat_ttl = \"20s\"\n}\n"
	if err := os.WriteFile(path, []byte(hcl), 0o600); err != nil {
		c.t.Fatalf("write server config: %v", err)
	}
	return path
}

// newClient prepares (does not start) a client agent of the given servers.
func (c *procCluster) newClient(name string, servers ...*procAgent) *procAgent {
	p := freePorts(c.t, 1)
	a := &procAgent{c: c, name: name, http: p[0], dataDir: filepath.Join(c.dir, name)}
	a.args = []string{"agent", "-client", "-node", name, "-bind", "127.0.0.1",
		"-http-port", strconv.Itoa(a.http), "-data-dir", a.dataDir}
	for _, s := range servers {
		a.args = append(a.args, "-servers", s.rpcAddr())
	}
	if c.pki != nil {
		a.args = append(a.args, c.pki.agentArgs(false, "")...)
	}
	return c.add(a)
}

func (c *procCluster) add(a *procAgent) *procAgent {
	a.logPath = filepath.Join(c.dir, a.name+".log")
	a.api = newAPI(fmt.Sprintf("http://127.0.0.1:%d", a.http))
	if c.pki != nil {
		a.api = &apiClient{base: fmt.Sprintf("https://127.0.0.1:%d", a.http), hc: c.pki.httpClient()}
		a.api.setToken(c.token)
	}
	c.mu.Lock()
	c.agents = append(c.agents, a)
	c.mu.Unlock()
	return a
}

// startServers starts n servers with -bootstrap-expect n, each joining the
// first one, and waits until they agree on a leader.
func (c *procCluster) startServers(n int) []*procAgent {
	c.t.Helper()
	var servers []*procAgent
	for i := 1; i <= n; i++ {
		servers = append(servers, c.newServer(fmt.Sprintf("s%d", i), n))
	}
	for _, s := range servers {
		s.args = append(s.args, "-join", servers[0].gossipAddr())
	}
	for _, s := range servers {
		s.start()
	}
	if c.pki != nil {
		c.setClusterToken(c.bootstrapACL(servers[0]))
	}
	c.waitLeader(servers, "")
	return servers
}

// start starts the agent's process (again, after a kill: same ports, same
// data dir) and waits until its HTTP API answers.
func (a *procAgent) start() {
	a.c.t.Helper()
	a.launch()
	a.waitHTTP()
}

// launch starts the agent's process and returns at once.
func (a *procAgent) launch() {
	t := a.c.t
	t.Helper()
	if err := os.MkdirAll(a.dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.OpenFile(a.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(logf, "==== e2e: %s %s\n", appmeshBin, strings.Join(a.args, " "))
	cmd := exec.Command(appmeshBin, a.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), tagEnv+"="+a.c.tag+a.name)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start agent %s: %v", a.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	a.mu.Lock()
	a.cmd, a.done = cmd, done
	a.mu.Unlock()
}

// waitHTTP waits until the agent's HTTP API answers.
func (a *procAgent) waitHTTP() {
	t := a.c.t
	t.Helper()
	a.mu.Lock()
	cmd, done := a.cmd, a.done
	a.mu.Unlock()
	deadline := time.Now().Add(waitTimeout)
	for {
		select {
		case <-done:
			t.Fatalf("agent %s exited during startup: %v (its log follows at the end)", a.name, cmd.ProcessState)
		default:
		}
		// Any HTTP answer, even an error, means the API is up.
		err := a.api.get("/v1/agent/self", nil)
		if _, isHTTP := err.(*httpError); err == nil || isHTTP {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s: HTTP API not up after %v: %v (its log follows at the end)", a.name, waitTimeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether the agent's process is running.
func (a *procAgent) alive() bool {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// kill9 sends SIGKILL to the agent process alone (like `kill -9 PID`: its
// driver plugins and tasks stay) and waits until it is gone.
func (a *procAgent) kill9() {
	a.c.t.Helper()
	a.mu.Lock()
	cmd, done := a.cmd, a.done
	a.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		a.c.t.Fatalf("agent %s (pid %d) still running 10 s after SIGKILL", a.name, cmd.Process.Pid)
	}
}

// logTail returns the last lines of the agent's output.
func (a *procAgent) logTail() string {
	data, err := os.ReadFile(a.logPath)
	if err != nil {
		return fmt.Sprintf("(no log %s: %v)", a.logPath, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return fmt.Sprintf("---- %s (%s), last %d lines:\n%s", a.name, a.logPath, len(lines), strings.Join(lines, "\n"))
}

// panicked reports the first panic in the agent's log, if any.
func (a *procAgent) panicked() string {
	data, _ := os.ReadFile(a.logPath)
	if i := bytes.Index(data, []byte("panic: ")); i >= 0 {
		end := min(len(data), i+1500)
		return string(data[i:end])
	}
	return ""
}

// cleanup kills every agent, then every process that carries this test's
// tag (driver plugins, executors) or a tracked task marker; on failure it
// prints the tail of every agent's log.
func (c *procCluster) cleanup() {
	c.mu.Lock()
	agents := append([]*procAgent(nil), c.agents...)
	c.mu.Unlock()
	for _, a := range agents {
		a.mu.Lock()
		cmd, done := a.cmd, a.done
		a.mu.Unlock()
		if cmd == nil {
			continue
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.t.Errorf("agent %s (pid %d) did not exit after SIGKILL", a.name, cmd.Process.Pid)
		}
	}
	// Tasks and plugins may spawn while the agents die; sweep twice.
	for i := 0; i < 2; i++ {
		for _, pid := range c.leftovers() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if left := c.leftovers(); len(left) > 0 {
		c.t.Errorf("processes of this test still running after cleanup: %v", left)
	}
	if c.t.Failed() {
		for _, a := range agents {
			c.t.Log(a.logTail())
		}
	}
}

// leftovers scans /proc for this test's processes: those whose environment
// carries its tag or a path in its directory, and tasks whose first
// argument is a tracked marker.
func (c *procCluster) leftovers() []int {
	c.mu.Lock()
	markers := make(map[string]bool, len(c.markers))
	for m := range c.markers {
		markers[strconv.Itoa(m)] = true
	}
	c.mu.Unlock()
	tag := []byte(tagEnv + "=" + c.tag)
	dirInEnv := []byte("=" + c.dir + "/")
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		// Driver plugins get a clean environment, but it names their log
		// file in the agent's data dir, under this test's directory.
		if env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid)); err == nil &&
			(bytes.Contains(env, tag) || bytes.Contains(env, dirInEnv)) {
			pids = append(pids, pid)
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(argv) >= 2 && markers[argv[1]] {
			pids = append(pids, pid)
		}
	}
	return pids
}

// taskProcs counts the running processes whose first argument is the
// marker secs (the tasks of a job started with that sleep duration).
func taskProcs(secs int) int {
	want := strconv.Itoa(secs)
	entries, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		if len(argv) >= 2 && argv[1] == want && filepath.Base(argv[0]) == "sleep" {
			// A zombie has an empty cmdline, so this one is alive.
			n++
		}
	}
	return n
}

// waitLeader waits until every given (running) server reports the same
// leader, one of theirs, different from not (if set), and returns it.
func (c *procCluster) waitLeader(servers []*procAgent, not string) *procAgent {
	c.t.Helper()
	var leader *procAgent
	waitFor(c.t, waitTimeout, "servers agree on one leader", func() error {
		leader = nil
		var first string
		for _, s := range servers {
			if !s.alive() {
				return fmt.Errorf("server %s is not running", s.name)
			}
			l, err := s.api.leader()
			if err != nil {
				return fmt.Errorf("%s: %v", s.name, err)
			}
			if l == "" {
				return fmt.Errorf("%s knows no leader", s.name)
			}
			if first == "" {
				first = l
			} else if l != first {
				return fmt.Errorf("%s says the leader is %s, another server says %s", s.name, l, first)
			}
		}
		if first == not {
			return fmt.Errorf("the leader is still %s", not)
		}
		for _, s := range servers {
			if s.rpcAddr() == first {
				leader = s
			}
		}
		if leader == nil {
			return fmt.Errorf("the leader %s is none of the given servers", first)
		}
		return nil
	}, nil)
	return leader
}

// cli runs the appmesh CLI against an agent and returns its output.
func cli(t *testing.T, a *procAgent, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, args...)
	cmd.Env = append(os.Environ(), "APPMESH_ADDR="+a.api.base)
	if a.c.pki != nil {
		cmd.Env = append(cmd.Env, a.c.pki.cliEnv(a.api.getToken())...)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cliHas reports whether the binary has the CLI command (e.g. "operator
// snapshot save"): its help names it.
func cliHas(command string) bool {
	args := append(strings.Fields(command), "-h")
	out, _ := exec.Command(appmeshBin, args...).CombinedOutput()
	return strings.Contains(string(out), "Usage: appmesh "+command)
}
