package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// agent is one `appmesh agent` process started by the harness. Each runs in
// its own process group (so that a Ctrl-C in the terminal reaches only the
// harness, which then stops the jobs and the agents in order) with TMPDIR
// pointing into the harness's temporary directory (so that the dev agent's
// own temporary data dir is removed with it).
type agent struct {
	name     string
	args     []string
	dir      string // working dir, TMPDIR and log of this agent
	logPath  string
	httpAddr string
	rpcAddr  string
	gossip   string // host:port, "" for a dev agent
	api      *apiClient

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	tree   map[int]uint64 // pid → start time of every descendant seen, for cleanup
}

// freePorts returns n distinct free ports on 127.0.0.1, free for TCP and UDP
// (gossip uses both). There is a window between closing and the agent
// binding them; a collision shows up as an agent that fails to start.
func freePorts(n int) ([]int, error) {
	var ports []int
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { l.Close() })
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // taken for UDP: try another
		}
		closers = append(closers, func() { u.Close() })
		ports = append(ports, port)
	}
	return ports, nil
}

// start launches the agent and waits until its HTTP API answers.
func (a *agent) start(ctx context.Context, bin string) error {
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(a.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "==> bench: %s %s\n", bin, strings.Join(a.args, " "))
	cmd := exec.Command(bin, a.args...)
	cmd.Dir = a.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "TMPDIR="+a.dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", a.name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	a.mu.Lock()
	a.cmd, a.exited = cmd, exited
	if a.tree == nil {
		a.tree = map[int]uint64{}
	}
	a.mu.Unlock()
	if a.api == nil {
		a.api = newAPI(a.httpAddr)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := a.api.leader(rctx)
		cancel()
		var ae *apiError
		if err == nil || errors.As(err, &ae) {
			return nil // the HTTP API answers (even "no leader" is an answer)
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited during start-up:\n%s", a.name, tail(a.logPath, 15))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: HTTP API on %s not answering after 60s:\n%s", a.name, a.httpAddr, tail(a.logPath, 15))
		}
	}
}

// pid is the agent's process ID, 0 when not running.
func (a *agent) pid() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd == nil || a.cmd.Process == nil || !a.running() {
		return 0
	}
	return a.cmd.Process.Pid
}

// running reports whether the process is alive; a.mu held.
func (a *agent) running() bool {
	if a.exited == nil {
		return false
	}
	select {
	case <-a.exited:
		return false
	default:
		return true
	}
}

// remember records the agent's current descendants, so that cleanup can
// kill any left behind after the agent is gone.
func (a *agent) remember() {
	pid := a.pid()
	if pid == 0 {
		return
	}
	procs, err := sysProc.scan()
	if err != nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, d := range descendants(procs, pid) {
		a.tree[d] = procs[d].StartTime
	}
}

// kill9 sends SIGKILL to the agent alone (not its children) and reaps it.
func (a *agent) kill9() error {
	a.remember()
	a.mu.Lock()
	cmd, exited := a.cmd, a.exited
	a.mu.Unlock()
	if cmd == nil {
		return errors.New(a.name + " is not running")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s did not die after SIGKILL", a.name)
	}
}

// stop ends the agent: SIGTERM, then SIGKILL of its process group after
// grace, then SIGKILL of any descendant seen earlier that is still alive.
func (a *agent) stop(grace time.Duration) {
	a.remember()
	a.mu.Lock()
	cmd, exited := a.cmd, a.exited
	a.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(grace):
			fmt.Fprintf(os.Stderr, "bench: %s did not exit %s after SIGTERM; killing it\n", a.name, grace)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Process.Kill()
			<-exited
		}
		// Anything left in its process group goes too.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	a.mu.Lock()
	tree := a.tree
	a.tree = map[int]uint64{}
	a.mu.Unlock()
	for pid, start := range tree {
		if p, err := sysProc.read(pid); err == nil && p.StartTime == start {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// tail returns the last n lines of a file, indented, for error messages.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return "    (no log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return "    " + strings.Join(lines, "\n    ") + "\n    (log: " + path + ")"
}

// devAgent describes a dev agent (server + client in one process).
func devAgent(root, name string) (*agent, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, name)
	return &agent{
		name:     name,
		dir:      dir,
		logPath:  filepath.Join(dir, "agent.log"),
		httpAddr: "127.0.0.1:" + strconv.Itoa(ports[0]),
		rpcAddr:  "127.0.0.1:" + strconv.Itoa(ports[1]),
		args: []string{"agent", "-dev",
			"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1])},
	}, nil
}

// serverAgent describes server i (1-based) of a cluster of n; join is the
// gossip address of a running server ("" for the first).
func serverAgent(root string, i, n int) (*agent, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("s%d", i)
	dir := filepath.Join(root, name)
	a := &agent{
		name:     name,
		dir:      dir,
		logPath:  filepath.Join(dir, "agent.log"),
		httpAddr: "127.0.0.1:" + strconv.Itoa(ports[0]),
		rpcAddr:  "127.0.0.1:" + strconv.Itoa(ports[1]),
		gossip:   "127.0.0.1:" + strconv.Itoa(ports[2]),
		args: []string{"agent", "-server", "-bootstrap-expect", strconv.Itoa(n),
			"-node", name, "-bind", "127.0.0.1",
			"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]),
			"-gossip-port", strconv.Itoa(ports[2]),
			"-data-dir", filepath.Join(dir, "data")},
	}
	return a, nil
}

// withJoin returns the agent's arguments joining the given gossip address.
func (a *agent) withJoin(join string) []string {
	var args []string
	for i := 0; i < len(a.args); i++ {
		if a.args[i] == "-join" {
			i++
			continue
		}
		args = append(args, a.args[i])
	}
	if join != "" {
		args = append(args, "-join", join)
	}
	return args
}
