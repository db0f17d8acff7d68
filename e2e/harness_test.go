package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// waitTimeout bounds every wait for a condition. It is generous: the
	// conditions normally hold within a second, and a slow CI machine must
	// not turn into a flaky test.
	waitTimeout = 60 * time.Second
	// stopTimeout is how long an agent gets to exit after SIGTERM before
	// it is killed.
	stopTimeout = 30 * time.Second
	// cliTimeout bounds one CLI invocation (job run waits up to 30s itself).
	cliTimeout = 60 * time.Second
	// logTailLines is how much of the agent's log a failure shows.
	logTailLines = 40
)

// lockedBuffer collects the agent's output, written by the exec package's
// copying goroutines and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// agentPorts are the TCP ports one agent listens on.
type agentPorts struct{ HTTP, RPC, Gossip int }

// freePorts returns n distinct TCP ports on 127.0.0.1 that were free a
// moment ago (the kernel picks them; all are held open together so that
// they differ).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("pick a free port: %v", err)
		}
		lns = append(lns, ln)
		if port := ln.Addr().(*net.TCPAddr).Port; takePort(port) {
			ports = append(ports, port)
		}
	}
	return ports
}

// handedOut are the ports freePorts gave in this process: an agent
// prepared earlier may not have bound its ports yet, and the kernel could
// offer them again.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// takePort claims port unless freePorts handed it out before.
func takePort(port int) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[port] {
		return false
	}
	handedOut.ports[port] = true
	return true
}

// agentOptions says how to start an agent.
type agentOptions struct {
	// dev runs `agent -dev`; otherwise `agent -server -client -bind 127.0.0.1`.
	dev bool
	// dataDir is the agent's -data-dir; a fresh temporary one if empty.
	dataDir string
	// config is an agent config file (-config), if any.
	config string
	// secure, set by TestSecureX through secureTests, runs the agent with
	// ACLs, TLS and gossip encryption (secure_test.go).
	secure *secureFiles
	// nodeName is the -node name; "e2e-<test name>" if empty.
	nodeName string
	// ownTempDir (with dev) passes no -data-dir: the agent makes and
	// removes its own temporary one, as a plain `make dev` does.
	ownTempDir bool
	// env is added to the agent's environment (e.g. a fault hook).
	env []string
	// acl runs the agent with ACLs on (-acl-enabled) and bootstraps them
	// at the first start, without the TLS of secure.
	acl bool
	// fileLogLevel passes no -log-level DEBUG: the config file's
	// log_level (default INFO) decides, and a reload can change it.
	fileLogLevel bool
}

// agent is one running `appmesh agent` process.
type agent struct {
	t       *testing.T
	opts    agentOptions
	ports   agentPorts
	addr    string // http://127.0.0.1:PORT
	dataDir string

	mu      sync.Mutex
	cmd     *exec.Cmd
	log     *lockedBuffer
	exited  chan struct{} // closed when the process has exited
	waitErr error         // the process's exit status, once exited
	markers []string      // task markers to clean up, see track
	shown   bool          // the log tail is already in a failure message
	logs    []string      // output of earlier runs of this agent (restarts)

	http *http.Client
	// token is the ACL management token in secure mode.
	token string
}

// traversableTempDir is a temporary directory that tasks running as
// another user (user = "nobody") can pass through; t.TempDir's parent is
// 0700, so the directory is made directly under the system's temp dir.
func traversableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "appmesh-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startAgent starts an agent with free ports and its own data dir, waits
// until it has a leader and a ready node, and stops it at the end of the
// test (SIGTERM, SIGKILL after stopTimeout), then kills any task process
// left behind (see track).
func startAgent(t *testing.T, opts agentOptions) *agent {
	t.Helper()
	if opts.dataDir == "" && !opts.ownTempDir {
		opts.dataDir = traversableTempDir(t)
	}
	if _, ok := secureTests.Load(t); ok && opts.secure == nil {
		opts.secure = newSecureFiles(t)
	}
	a := &agent{t: t, opts: opts, dataDir: opts.dataDir, http: &http.Client{Timeout: 30 * time.Second}}
	if opts.secure != nil {
		a.http = opts.secure.httpClient()
	}
	t.Cleanup(a.cleanup)
	// Another process may grab a port between freePorts and the agent's
	// listen; such a start is retried with new ports.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		p := freePorts(t, 3)
		a.ports = agentPorts{HTTP: p[0], RPC: p[1], Gossip: p[2]}
		a.addr = fmt.Sprintf("http://127.0.0.1:%d", a.ports.HTTP)
		if opts.secure != nil {
			a.addr = fmt.Sprintf("https://127.0.0.1:%d", a.ports.HTTP)
		}
		err = a.start()
		if err == nil {
			return a
		}
		_ = a.stop()
		if a.log == nil || !strings.Contains(a.log.String(), "address already in use") {
			break
		}
		t.Logf("agent could not bind its ports, retrying with others: %v", err)
		a.archiveLog()
	}
	t.Fatalf("agent did not start: %v\n%s", err, a.logTail())
	return nil
}

func (a *agent) args() []string {
	args := []string{"agent"}
	if a.opts.dev {
		args = append(args, "-dev")
	} else {
		args = append(args, "-server", "-client", "-bind", "127.0.0.1")
	}
	if a.opts.config != "" {
		args = append(args, "-config", a.opts.config)
	}
	if a.dataDir != "" {
		args = append(args, "-data-dir", a.dataDir)
	}
	if s := a.opts.secure; s != nil {
		args = append(args, "-config", s.config, "-encrypt", s.gossipKey)
	}
	if a.opts.acl {
		args = append(args, "-acl-enabled")
	}
	if !a.opts.fileLogLevel {
		args = append(args, "-log-level", "DEBUG")
	}
	return append(args,
		"-http-port", strconv.Itoa(a.ports.HTTP),
		"-rpc-port", strconv.Itoa(a.ports.RPC),
		"-gossip-port", strconv.Itoa(a.ports.Gossip),
		"-node", a.nodeName(),
	)
}

func (a *agent) nodeName() string {
	if a.opts.nodeName != "" {
		return a.opts.nodeName
	}
	return "e2e-" + sanitize(a.t.Name())
}

var nonName = regexp.MustCompile(`[^A-Za-z0-9-]+`)

func sanitize(s string) string { return strings.ToLower(nonName.ReplaceAllString(s, "-")) }

// start launches the process on a.ports and waits until it is ready.
func (a *agent) start() error {
	cmd := exec.Command(appmeshBin, a.args()...)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(cleanEnv(), a.opts.env...)
	// Its own process group, so that a forced kill reaches the driver
	// plugins too and a ^C in the terminal does not hit it first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %v", appmeshBin, err)
	}
	exited := make(chan struct{})
	a.mu.Lock()
	a.cmd, a.log, a.exited, a.waitErr = cmd, log, exited, nil
	a.mu.Unlock()
	go func() {
		err := cmd.Wait()
		a.mu.Lock()
		a.waitErr = err
		a.mu.Unlock()
		close(exited)
	}()
	if (a.opts.secure != nil || a.opts.acl) && a.token == "" {
		if err := a.bootstrapACL(); err != nil {
			return err
		}
	}
	return a.waitReady()
}

// waitReady waits until GET /v1/status/leader names a leader and GET
// /v1/nodes lists a ready node.
func (a *agent) waitReady() error {
	deadline := time.Now().Add(waitTimeout)
	last := "no answer yet"
	for time.Now().Before(deadline) {
		select {
		case <-a.exited:
			return fmt.Errorf("agent exited before it was ready: %v", a.exitErr())
		default:
		}
		ok, why := a.ready()
		if ok {
			return nil
		}
		last = why
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("agent not ready after %s: %s", waitTimeout, last)
}

func (a *agent) ready() (bool, string) {
	r, err := a.do(http.MethodGet, "/v1/status/leader", nil)
	if err != nil {
		return false, err.Error()
	}
	var leader string
	if r.status != http.StatusOK || json.Unmarshal(r.body, &leader) != nil || leader == "" {
		return false, fmt.Sprintf("GET /v1/status/leader: %d %s", r.status, r.body)
	}
	r, err = a.do(http.MethodGet, "/v1/nodes", nil)
	if err != nil {
		return false, err.Error()
	}
	var nodes []node
	if r.status != http.StatusOK || json.Unmarshal(r.body, &nodes) != nil {
		return false, fmt.Sprintf("GET /v1/nodes: %d %s", r.status, r.body)
	}
	for _, n := range nodes {
		if n.Status == "ready" {
			return true, ""
		}
	}
	return false, fmt.Sprintf("no ready node in GET /v1/nodes: %s", r.body)
}

func (a *agent) exitErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waitErr
}

// stop sends SIGTERM and waits for the process to exit, killing its process
// group after stopTimeout. It returns the exit status (nil for exit 0) and
// is a no-op returning the old status when the agent has already exited.
func (a *agent) stop() error {
	a.mu.Lock()
	cmd, exited := a.cmd, a.exited
	a.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return a.exitErr()
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return a.exitErr()
	case <-time.After(stopTimeout):
	}
	a.t.Logf("agent did not exit %s after SIGTERM; killing it\n%s", stopTimeout, a.logTail())
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
	return fmt.Errorf("agent did not exit within %s of SIGTERM and was killed", stopTimeout)
}

// restart stops the agent (which must exit cleanly) and starts it again
// with the same ports, data dir and flags.
func (a *agent) restart() {
	a.t.Helper()
	if err := a.stop(); err != nil {
		a.t.Fatalf("agent did not shut down cleanly on SIGTERM: %v\n%s", err, a.logTail())
	}
	a.archiveLog()
	if err := a.start(); err != nil {
		a.t.Fatalf("agent did not start again: %v\n%s", err, a.logTail())
	}
}

// archiveLog keeps the log of a finished run for failure messages.
func (a *agent) archiveLog() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.log != nil {
		a.logs = append(a.logs, a.log.String())
	}
}

func (a *agent) cleanup() {
	if err := a.stop(); err != nil {
		a.t.Logf("agent exit: %v", err)
	}
	a.mu.Lock()
	shown := a.shown
	a.mu.Unlock()
	if a.t.Failed() && !shown {
		a.t.Logf("agent log tail:\n%s", a.logTail())
	}
	a.mu.Lock()
	markers := append([]string(nil), a.markers...)
	a.mu.Unlock()
	for _, m := range markers {
		// Tasks may take a moment to die after the agent stopped them.
		deadline := time.Now().Add(stopTimeout)
		procs := findProcs(m)
		for len(procs) > 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			procs = findProcs(m)
		}
		for _, p := range procs {
			a.t.Logf("killing task process left after the agent stopped: pid %d: %s", p.pid, p.cmdline)
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
	// Driver plugins are detached so that tasks outlive their agent; the
	// agents of a test must not outlive it through them.
	for _, p := range findPluginProcs(a.dataDir) {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

// logTail returns the last lines of the agent's output.
func (a *agent) logTail() string {
	a.mu.Lock()
	log := a.log
	a.mu.Unlock()
	if log == nil {
		return "(no agent output)"
	}
	lines := strings.Split(strings.TrimRight(log.String(), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return "--- agent log (last lines) ---\n" + strings.Join(lines, "\n") + "\n--- end of agent log ---"
}

// fatalf fails the test with the agent's log tail.
func (a *agent) fatalf(format string, args ...any) {
	a.t.Helper()
	a.mu.Lock()
	a.shown = true
	a.mu.Unlock()
	a.t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), a.logTail())
}

// track registers a task marker (see findProcs) whose processes are killed
// when the test ends, should the agent leave any behind.
func (a *agent) track(marker string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.markers = append(a.markers, marker)
}

// ---- HTTP ----

type response struct {
	status int
	header http.Header
	body   []byte
}

// index returns the X-Appmesh-Index header as a number (0 if absent).
func (r *response) index() uint64 {
	n, _ := strconv.ParseUint(r.header.Get("X-Appmesh-Index"), 10, 64)
	return n
}

func (a *agent) do(method, path string, body []byte) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, a.addr+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	a.mu.Lock()
	token := a.token
	a.mu.Unlock()
	if token != "" {
		req.Header.Set("X-Appmesh-Token", token)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading body: %v", method, path, err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// request is do that fails the test on a transport error.
func (a *agent) request(method, path string, body []byte) *response {
	a.t.Helper()
	r, err := a.do(method, path, body)
	if err != nil {
		a.fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// getJSON GETs path, requires 200 and decodes the body into v.
func (a *agent) getJSON(path string, v any) *response {
	a.t.Helper()
	r := a.request(http.MethodGet, path, nil)
	if r.status != http.StatusOK {
		a.fatalf("GET %s: status %d, want 200: %s", path, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		a.fatalf("GET %s: decoding %T: %v\nbody: %s", path, v, err, r.body)
	}
	return r
}

// putJSON PUTs v encoded as JSON (or as is, for []byte and string).
func (a *agent) putJSON(path string, v any) *response {
	a.t.Helper()
	var body []byte
	switch b := v.(type) {
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			a.t.Fatalf("encode %T: %v", v, err)
		}
	}
	return a.request(http.MethodPut, path, body)
}

// errorMessage decodes an error body {"error": "..."}, failing the test if
// the body is not of that form.
func (a *agent) errorMessage(what string, r *response) string {
	a.t.Helper()
	var e struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil || e.Error == nil || *e.Error == "" {
		a.t.Errorf("%s: error body is not JSON {\"error\": \"...\"}: %q (decode error: %v)", what, r.body, err)
		return string(r.body)
	}
	return *e.Error
}

// ---- waiting ----

// waitFor polls cond until it holds, failing the test after waitTimeout
// with what cond last reported and the agent's log tail.
func (a *agent) waitFor(what string, cond func() (bool, string)) {
	a.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, status := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			a.fatalf("timed out after %s waiting for %s; last seen: %s", waitTimeout, what, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitAllocs follows GET /v1/job/<id>/allocations with blocking queries
// until cond holds for the list, and returns that list.
func (a *agent) waitAllocs(jobID string, what string, cond func([]alloc) (bool, string)) []alloc {
	a.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var index uint64
	status := "no answer yet"
	for time.Now().Before(deadline) {
		path := fmt.Sprintf("/v1/job/%s/allocations?index=%d&wait=2s", jobID, index)
		r, err := a.do(http.MethodGet, path, nil)
		if err != nil {
			a.fatalf("GET %s: %v", path, err)
		}
		if r.status != http.StatusOK {
			status = fmt.Sprintf("GET %s: status %d: %s", path, r.status, r.body)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		var allocs []alloc
		if err := json.Unmarshal(r.body, &allocs); err != nil {
			a.fatalf("GET %s: %v\nbody: %s", path, err, r.body)
		}
		ok, why := cond(allocs)
		if ok {
			return allocs
		}
		status = why + "; allocations: " + describeAllocs(allocs)
		if next := r.index(); next > index {
			index = next
		} else {
			// No index progress (or no header): do not spin.
			time.Sleep(100 * time.Millisecond)
		}
	}
	a.fatalf("timed out after %s waiting for %s of job %q; last seen: %s", waitTimeout, what, jobID, status)
	return nil
}

func describeAllocs(allocs []alloc) string {
	var parts []string
	for _, al := range allocs {
		parts = append(parts, fmt.Sprintf("%s desired=%s client=%s", shortID(al.ID), al.DesiredStatus, al.ClientStatus))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// countStatus counts allocations with the given desired and client status
// ("" matches any).
func countStatus(allocs []alloc, desired, client string) int {
	n := 0
	for _, al := range allocs {
		if (desired == "" || al.DesiredStatus == desired) && (client == "" || al.ClientStatus == client) {
			n++
		}
	}
	return n
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// ---- CLI ----

type cliResult struct {
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("exit code %d\n--- stdout ---\n%s\n--- stderr ---\n%s", r.code, r.stdout, r.stderr)
}

// cli runs `appmesh <command words> -address <agent> <args...>`: flags go
// after the subcommand and before positional arguments.
func (a *agent) cli(command string, args ...string) cliResult {
	a.t.Helper()
	full := append(strings.Fields(command), "-address", a.addr)
	if s := a.opts.secure; s != nil {
		a.mu.Lock()
		full = append(full, s.cliFlags(a.token)...)
		a.mu.Unlock()
	}
	return runCLI(a.t, append(full, args...)...)
}

// runCLI runs the binary with args, without APPMESH_ADDR or APPMESH_TOKEN
// from the environment.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLIWithStdin(t, "", args...)
}

// runCLIWithStdin is runCLI with the given standard input.
func runCLIWithStdin(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		res.code = exitErr.ExitCode()
	default:
		t.Fatalf("appmesh %s: %v (timeout %s)\n%s", strings.Join(args, " "), err, cliTimeout, res)
	}
	return res
}

// cleanEnv is the environment without the CLI's own variables, so that only
// the flags the test passes decide where the CLI goes.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "APPMESH_ADDR=") || strings.HasPrefix(kv, "APPMESH_TOKEN=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// writeFile writes a job file into a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ---- processes ----

type proc struct {
	pid     int
	cmdline string
}

// findProcs scans /proc for live processes whose command line (arguments
// joined by spaces) contains marker as whole words. Each test gives its
// tasks a unique marker (see taskSleep; an exec'd sleep keeps it).
func findProcs(marker string) []proc {
	re := regexp.MustCompile(`(^|\s)` + regexp.QuoteMeta(marker) + `(\s|$)`)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(data) == 0 { // gone, or a zombie
			continue
		}
		cmdline := strings.TrimRight(strings.ReplaceAll(string(data), "\x00", " "), " ")
		if re.MatchString(cmdline) {
			out = append(out, proc{pid: pid, cmdline: cmdline})
		}
	}
	return out
}

// findPluginProcs finds the driver plugins that agents on dataDir
// launched: their environment names a log file under it.
func findPluginProcs(dataDir string) []proc {
	if dataDir == "" {
		return nil
	}
	prefix := []byte("APPMESH_PLUGIN_LOG_FILE=" + filepath.Clean(dataDir) + "/")
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.HasPrefix(kv, prefix) {
				out = append(out, proc{pid: pid})
				break
			}
		}
	}
	return out
}

func describeProcs(ps []proc) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, fmt.Sprintf("pid %d: %s", p.pid, p.cmdline))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "; ")
}

// ---- API types: the JSON contract of DESIGN.md, decoded independently of
// the product's own structs ----

type node struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type taskEvent struct {
	Type     string `json:"type"`
	Message  string `json:"message"`
	ExitCode *int   `json:"exit_code"`
}

type taskState struct {
	State    string      `json:"state"`
	Failed   bool        `json:"failed"`
	Restarts int         `json:"restarts"`
	ExitCode *int        `json:"exit_code"`
	Events   []taskEvent `json:"events"`
}

type alloc struct {
	ID            string                `json:"id"`
	EvalID        string                `json:"eval_id"`
	JobID         string                `json:"job_id"`
	Group         string                `json:"group"`
	NodeID        string                `json:"node_id"`
	NodeName      string                `json:"node_name"`
	DesiredStatus string                `json:"desired_status"`
	ClientStatus  string                `json:"client_status"`
	TaskStates    map[string]*taskState `json:"task_states"`
}

type allocMetric struct {
	NodesEvaluated     int            `json:"nodes_evaluated"`
	NodesExhausted     int            `json:"nodes_exhausted"`
	DimensionExhausted map[string]int `json:"dimension_exhausted"`
}

type evaluation struct {
	ID             string                  `json:"id"`
	JobID          string                  `json:"job_id"`
	Status         string                  `json:"status"`
	FailedTGAllocs map[string]*allocMetric `json:"failed_tg_allocs"`
}

type groupSummary struct {
	Queued   int `json:"queued"`
	Starting int `json:"starting"`
	Running  int `json:"running"`
	Complete int `json:"complete"`
	Failed   int `json:"failed"`
	Lost     int `json:"lost"`
}

type jobStub struct {
	ID      string                   `json:"id"`
	Type    string                   `json:"type"`
	Status  string                   `json:"status"`
	Summary map[string]*groupSummary `json:"summary"`
}

type jobInfo struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status string `json:"status"`
	Stop   bool   `json:"stop"`
}

type registerResponse struct {
	EvalID string `json:"eval_id"`
}

// jobStatus returns the job's status from GET /v1/job/<id>.
func (a *agent) jobStatus(id string) string {
	a.t.Helper()
	var j jobInfo
	a.getJSON("/v1/job/"+id, &j)
	return j.Status
}

// waitJobStatus waits until the job's status is want.
func (a *agent) waitJobStatus(id, want string) {
	a.t.Helper()
	a.waitFor(fmt.Sprintf("job %q to have status %q", id, want), func() (bool, string) {
		got := a.jobStatus(id)
		return got == want, "status " + strconv.Quote(got)
	})
}

// waitProcs waits until exactly n processes carry marker.
func (a *agent) waitProcs(marker string, n int) {
	a.t.Helper()
	a.waitFor(fmt.Sprintf("%d process(es) with %q", n, marker), func() (bool, string) {
		ps := findProcs(marker)
		return len(ps) == n, describeProcs(ps)
	})
}
