package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
)

// procServer is one `appmesh agent -server` process started by -procs:
// the real binary, with its own data dir (Raft on BoltDB, snapshots in
// files) and its own ports on 127.0.0.1.
type procServer struct {
	name    string
	dir     string // data dir and log of this server
	logPath string
	httpURL string
	rpcAddr string
	gossip  string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// procCluster is the servers of -procs. The simulator reaches them only
// over the network, as real clients and operators do.
type procCluster struct {
	servers []*procServer
	root    string
	// keepRoot is false for a temporary root the simulator made itself.
	keepRoot bool
	client   *http.Client
}

// startProcCluster starts n server processes of bin under root (a
// temporary directory when root is empty), each with bootstrap-expect n
// and joining the gossip port of the first, and waits until all of them
// name the same leader.
func startProcCluster(ctx context.Context, bin string, n int, tune procTuning, logLevel, root string) (*procCluster, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("-procs runs the agent binary %s: %w (build it with `make build`, or pass -bin)", bin, err)
	}
	// The servers run in their own directories: a relative path would not
	// find the binary from there.
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, fmt.Errorf("path of the agent binary: %w", err)
	}
	pc := &procCluster{root: root, keepRoot: root != "", client: &http.Client{Timeout: 10 * time.Second}}
	if root == "" {
		dir, err := os.MkdirTemp("", "appmesh-sim-")
		if err != nil {
			return nil, fmt.Errorf("make a data root for -procs: %w", err)
		}
		pc.root = dir
	}
	for i := 1; i <= n; i++ {
		ps, err := newProcServer(pc.root, i, n, tune, logLevel)
		if err != nil {
			pc.Shutdown()
			return nil, err
		}
		if i > 1 {
			ps.args = append(ps.args, "-join", pc.servers[0].gossip)
		}
		if err := ps.start(bin); err != nil {
			pc.Shutdown()
			return nil, err
		}
		pc.servers = append(pc.servers, ps.procServer)
		if tune.cgroup != "" {
			if err := joinCgroup(tune.cgroup, tune.cgroupShares, ps.cmd.Process.Pid); err != nil {
				pc.Shutdown()
				return nil, fmt.Errorf("server %s: %w", ps.name, err)
			}
		}
	}
	if err := pc.waitForLeader(ctx, 90*time.Second); err != nil {
		pc.Shutdown()
		return nil, err
	}
	return pc, nil
}

// procSpec is a server about to start: its arguments are still open.
type procSpec struct {
	*procServer
	args []string
}

// procTuning is the server settings -procs passes in a config file.
type procTuning struct {
	schedulers     int
	raftMultiplier int
	// cgroup, when set, is a cgroup v1 cpu directory every server process
	// joins as soon as it starts, with cgroupShares as its weight: the
	// servers then get the CPU before the simulator, whose 5,000 nodes
	// stand for machines that would not share the servers' cores.
	cgroup       string
	cgroupShares int
}

func newProcServer(root string, i, n int, tune procTuning, logLevel string) (*procSpec, error) {
	http, err := freeAddr("tcp")
	if err != nil {
		return nil, err
	}
	rpc, err := freeAddr("tcp")
	if err != nil {
		return nil, err
	}
	gossip, err := freeAddr("udp")
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("sim-server-%d", i)
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make data dir of %s: %w", name, err)
	}
	ps := &procServer{name: name, dir: dir, logPath: filepath.Join(dir, "agent.log"),
		httpURL: "http://" + http, rpcAddr: rpc, gossip: gossip}
	args := []string{"agent", "-server", "-bootstrap-expect", strconv.Itoa(n), "-node", name,
		"-bind", "127.0.0.1", "-data-dir", filepath.Join(dir, "data"), "-log-level", logLevel,
		"-http-port", port(http), "-rpc-port", port(rpc), "-gossip-port", port(gossip)}
	if tune.schedulers > 0 || tune.raftMultiplier > 0 {
		// There are no flags for these: a config file carries them.
		var body strings.Builder
		body.WriteString("server {\n")
		if tune.schedulers > 0 {
			fmt.Fprintf(&body, "  num_schedulers = %d\n", tune.schedulers)
		}
		if tune.raftMultiplier > 0 {
			fmt.Fprintf(&body, "  raft_multiplier = %d\n", tune.raftMultiplier)
		}
		body.WriteString("}\n")
		cfg := filepath.Join(dir, "sim.hcl")
		if err := os.WriteFile(cfg, []byte(body.String()), 0o600); err != nil {
			return nil, fmt.Errorf("write config of %s: %w", name, err)
		}
		args = append(args, "-config", cfg)
	}
	return &procSpec{procServer: ps, args: args}, nil
}

func port(addr string) string {
	_, p, _ := strings.Cut(addr, ":")
	return p
}

// start runs the agent with its output in its log. It dies with the
// simulator (Pdeathsig), so an interrupted run leaves no server behind.
func (ps *procSpec) start(bin string) error {
	logf, err := os.OpenFile(ps.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", ps.name, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "==> sim: %s %s\n", bin, strings.Join(ps.args, " "))
	cmd := exec.Command(bin, ps.args...)
	cmd.Dir = ps.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", ps.name, err)
	}
	ps.cmd = cmd
	ps.exited = make(chan struct{})
	go func() { _ = cmd.Wait(); close(ps.exited) }()
	return nil
}

// waitForLeader waits until every server's /v1/status/leader names the
// same, non-empty leader.
func (pc *procCluster) waitForLeader(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var leaders []string
		for _, ps := range pc.servers {
			select {
			case <-ps.exited:
				return fmt.Errorf("%s exited during start-up; its log: %s", ps.name, ps.logPath)
			default:
			}
			if l, err := pc.leaderOf(ctx, ps); err == nil && l != "" {
				leaders = append(leaders, l)
			}
		}
		if len(leaders) == len(pc.servers) && allSame(leaders) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("servers agree on no leader after %v (logs under %s)", limit, pc.root)
		}
		if !ctxsleep.Sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

func allSame(xs []string) bool {
	for _, x := range xs {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// leaderOf asks one server for the leader's RPC address.
func (pc *procCluster) leaderOf(ctx context.Context, ps *procServer) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ps.httpURL+"/v1/status/leader", nil)
	if err != nil {
		return "", err
	}
	resp, err := pc.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: GET /v1/status/leader: %s", ps.name, resp.Status)
	}
	var leader string
	if err := json.NewDecoder(resp.Body).Decode(&leader); err != nil {
		return "", fmt.Errorf("%s: decode leader: %w", ps.name, err)
	}
	return leader, nil
}

func (pc *procCluster) rpcAddrs() []string {
	out := make([]string, len(pc.servers))
	for i, ps := range pc.servers {
		out[i] = ps.rpcAddr
	}
	return out
}

// Shutdown stops every server: SIGTERM, then SIGKILL of its process group
// after 20 s. A temporary root is removed; one given with -data-dir stays.
func (pc *procCluster) Shutdown() {
	for _, ps := range pc.servers {
		if ps.cmd != nil {
			_ = ps.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, ps := range pc.servers {
		if ps.cmd == nil {
			continue
		}
		select {
		case <-ps.exited:
		case <-time.After(20 * time.Second):
			logf("%s did not exit 20s after SIGTERM; killing it", ps.name)
			_ = syscall.Kill(-ps.cmd.Process.Pid, syscall.SIGKILL)
			<-ps.exited
		}
	}
	if !pc.keepRoot && pc.root != "" {
		if err := os.RemoveAll(pc.root); err != nil && !errors.Is(err, os.ErrNotExist) {
			logf("remove %s: %v", pc.root, err)
		}
	}
}

// joinCgroup moves pid into the cgroup v1 cpu directory dir (made with
// the given cpu.shares when set). Writing cgroup.procs moves every thread
// of the process, and threads it makes later are born in the group.
func joinCgroup(dir string, shares, pid int) error {
	if err := ensureCgroup(dir, shares); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("move pid %d into cgroup %s: %w", pid, dir, err)
	}
	return nil
}
