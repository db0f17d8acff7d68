package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// agentProc is one `appmesh agent` process; restarts keep its ports and
// data dir.
type agentProc struct {
	name    string
	bin     string
	dataDir string
	logPath string
	args    []string // without the ports
	http    int
	rpc     int
	gossip  int

	cmd    *exec.Cmd
	exited chan struct{}
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func freePorts(n int) ([]int, error) {
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func newAgentProc(name, bin, dir string, args []string) (*agentProc, error) {
	p, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	a := &agentProc{name: name, bin: bin, dataDir: filepath.Join(dir, name), logPath: filepath.Join(dir, name+".log"),
		args: args, http: p[0], rpc: p[1], gossip: p[2]}
	return a, os.MkdirAll(a.dataDir, 0o711)
}

func (a *agentProc) addr() string { return fmt.Sprintf("http://127.0.0.1:%d", a.http) }

// start launches the process; its output is appended to its log file. The
// agent is in its own process group so that a ^C of the run does not reach
// it before the run's own clean-up.
func (a *agentProc) start() error {
	logf, err := os.OpenFile(a.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "==== %s start %s\n", a.name, time.Now().UTC().Format(time.RFC3339Nano))
	args := append([]string{"agent"}, a.args...)
	args = append(args, "-data-dir", a.dataDir, "-bind", "127.0.0.1", "-node", a.name, "-log-level", "DEBUG",
		"-http-port", strconv.Itoa(a.http), "-rpc-port", strconv.Itoa(a.rpc), "-gossip-port", strconv.Itoa(a.gossip))
	cmd := exec.Command(a.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s agent: %w", a.name, err)
	}
	a.cmd, a.exited = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(a.exited)
	return nil
}

// kill9 sends SIGKILL to the agent process alone (its plugins and tasks
// live on, as after a crash) and waits until it is gone.
func (a *agentProc) kill9() {
	if a.cmd == nil {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.exited
	a.cmd = nil
}

// stop asks the agent to leave (SIGTERM), SIGKILL after a while.
func (a *agentProc) stop() {
	if a.cmd == nil {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(60 * time.Second):
		_ = a.cmd.Process.Signal(syscall.SIGKILL)
		<-a.exited
	}
	a.cmd = nil
}

func (a *agentProc) pid() int {
	if a.cmd == nil {
		return 0
	}
	return a.cmd.Process.Pid
}

func (a *agentProc) alive() bool {
	if a.cmd == nil {
		return false
	}
	select {
	case <-a.exited:
		return false
	default:
		return true
	}
}

// getJSON GETs path from the agent's HTTP API into out.
func (a *agentProc) getJSON(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.addr()+path, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return json.Unmarshal(body, out)
}

// agentStats is the agent's own goroutine and fd count (GET /v1/agent/self).
type agentStats struct {
	Goroutines int `json:"goroutines"`
	OpenFDs    int `json:"open_fds"`
}

func (a *agentProc) stats(ctx context.Context) (agentStats, error) {
	var self struct {
		Stats agentStats `json:"stats"`
	}
	err := a.getJSON(ctx, "/v1/agent/self", &self)
	return self.Stats, err
}
