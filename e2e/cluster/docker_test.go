package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// dockerBudget bounds the whole Docker test, image build included.
const dockerBudget = 3 * time.Minute

// dockerCluster is a private Docker network with appmesh containers on it.
type dockerCluster struct {
	t       *testing.T
	ctx     context.Context
	name    string // network name, prefix of container names, label value
	image   string
	subnet  string // "10.A.B"
	servers []*dockerAgent
	clients []*dockerAgent
	// pki is set in secure mode (secure_test.go).
	pki *securePKI
}

// dockerAgent is one container running `appmesh agent`.
type dockerAgent struct {
	name      string // node name: s1, c1 ...
	container string
	ip        string
	args      []string
	api       *apiClient
	client    bool // runs tasks: needs a writable cgroup fs
}

func (a *dockerAgent) rpcAddr() string { return a.ip + ":6061" }

// docker runs the docker CLI and returns its combined output.
func (d *dockerCluster) docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(d.ctx, 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

func (d *dockerCluster) mustDocker(args ...string) string {
	d.t.Helper()
	out, err := d.docker(args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// TestDockerCluster runs three servers and two clients as containers of the
// real binary (a FROM scratch image built here) on their own Docker
// network, cuts a follower off the network and heals it, and kills the
// leader's container.
func TestDockerCluster(t *testing.T) {
	if out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: no usable Docker engine here (`docker version`: %v: %s); this test needs one", err, strings.TrimSpace(string(out)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerBudget)
	t.Cleanup(cancel)
	d := &dockerCluster{t: t, ctx: ctx, name: fmt.Sprintf("appmesh-e2e-%d-%d", runTag, os.Getpid())}
	d.buildImage()
	d.createNetwork()
	d.dockerSecure()

	for i := 1; i <= 3; i++ {
		d.servers = append(d.servers, &dockerAgent{name: fmt.Sprintf("s%d", i), ip: fmt.Sprintf("%s.%d", d.subnet, 10+i)})
	}
	for i, s := range d.servers {
		s.args = []string{"agent", "-server", "-bootstrap-expect", "3", "-bind", "0.0.0.0",
			"-data-dir", "/data", "-node", s.name,
			"-join", d.servers[0].ip + ":6062", "-join", d.servers[(i+1)%3].ip + ":6062"}
		d.run(s)
	}
	for i := 1; i <= 2; i++ {
		c := &dockerAgent{name: fmt.Sprintf("c%d", i), ip: fmt.Sprintf("%s.%d", d.subnet, 20+i), client: true}
		c.args = []string{"agent", "-client", "-bind", "0.0.0.0", "-data-dir", "/data", "-node", c.name, "-config", "/client.hcl"}
		for _, s := range d.servers {
			c.args = append(c.args, "-servers", s.rpcAddr())
		}
		d.clients = append(d.clients, c)
		d.run(c)
	}
	d.dockerBootstrap()

	leader := d.waitLeader(d.servers, "")
	t.Run("three servers: one leader, members and voters on their container addresses", func(t *testing.T) {
		ms, err := leader.api.members()
		if err != nil {
			t.Fatal(err)
		}
		alive := 0
		for _, m := range ms {
			if m.Status == "alive" {
				alive++
			}
		}
		if len(ms) != 3 || alive != 3 {
			t.Fatalf("members %+v, want 3 alive", ms)
		}
		rc, err := leader.api.raftConfiguration()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range rc.Servers {
			if p.Voter {
				got = append(got, p.Address)
			}
		}
		want := []string{d.servers[0].rpcAddr(), d.servers[1].rpcAddr(), d.servers[2].rpcAddr()}
		if fmt.Sprint(sortedCopy(got)) != fmt.Sprint(sortedCopy(want)) {
			t.Fatalf("raft voters %v, want the containers' addresses %v", got, want)
		}
	})

	// Every later step checks the job, so register it before anything can
	// fail; whether its tasks run is the clients' subtest.
	webSecs := taskSleep(100)
	web := hostJob(execJob("web", "service", 2, 32, "/sleeper", fmt.Sprint(webSecs)))
	if err := leader.api.register(web); err != nil {
		t.Fatalf("register web: %v", err)
	}

	t.Run("two clients ready, tasks run in them", func(t *testing.T) {
		nodes := waitNodesReady(t, leader.api, "c1", "c2")
		for _, c := range d.clients {
			if n := nodes[c.name]; n.HTTPAddr != c.ip+":6060" {
				t.Errorf("node %s advertises http_addr %q, want %q (its container address)", c.name, n.HTTPAddr, c.ip+":6060")
			}
		}
		waitRunning(t, leader.api, "web", 2)
	})
	webAllocs := func(api *apiClient) string {
		allocs, err := api.jobAllocs("web")
		if err != nil {
			t.Fatalf("allocations of web: %v", err)
		}
		var ids []string
		for _, a := range allocs {
			ids = append(ids, a.ID)
		}
		return fmt.Sprint(sortedCopy(ids))
	}
	allocsBefore := webAllocs(leader.api)
	var partitionJobs []string // acknowledged during the partition

	t.Run("a follower cut off and healed rejoins under the same leader and catches up", func(t *testing.T) {
		var cut, other *dockerAgent
		for _, s := range d.servers {
			if s != leader {
				if cut == nil {
					cut = s
				} else {
					other = s
				}
			}
		}
		d.mustDocker("network", "disconnect", d.name, cut.container)
		waitFor(t, waitTimeout, "the leader sees "+cut.name+" gone", func() error {
			ms, err := leader.api.members()
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.Name == cut.name && m.Status == "alive" {
					return fmt.Errorf("%s is still alive in %s's view", cut.name, leader.name)
				}
			}
			return nil
		}, d.logs)
		// The other two keep working: writes through both are accepted.
		for _, via := range []*dockerAgent{leader, other} {
			id := "during-partition-via-" + via.name
			if err := via.api.register(hostJob(execJob(id, "batch", 1, 16, "/sleeper", "0"))); err != nil {
				t.Fatalf("submit %s while %s is cut off: %v", id, cut.name, err)
			}
			partitionJobs = append(partitionJobs, id)
		}
		if l := d.waitLeader([]*dockerAgent{leader, other}, ""); l != leader {
			t.Fatalf("the leader moved from %s to %s while a follower was cut off", leader.name, l.name)
		}

		d.mustDocker("network", "connect", "--ip", cut.ip, d.name, cut.container)
		waitFor(t, waitTimeout, cut.name+" rejoins and catches up", func() error {
			jobs, err := cut.api.jobs(true)
			if err != nil {
				return err
			}
			have := jobIDs(jobs)
			for _, via := range []*dockerAgent{leader, other} {
				if !have["during-partition-via-"+via.name] {
					return fmt.Errorf("%s's own state lacks during-partition-via-%s", cut.name, via.name)
				}
			}
			ms, err := leader.api.members()
			if err != nil {
				return err
			}
			for _, m := range ms {
				if m.Status != "alive" {
					return fmt.Errorf("member %s is %s", m.Name, m.Status)
				}
			}
			return nil
		}, d.logs)
		if l := d.waitLeader(d.servers, ""); l != leader {
			t.Fatalf("election after the heal: the leader was %s and is now %s", leader.name, l.name)
		}
		rc, err := leader.api.raftConfiguration()
		if err != nil {
			t.Fatal(err)
		}
		if len(rc.Servers) != 3 {
			t.Fatalf("raft configuration after the heal: %+v, want 3 voters", rc.Servers)
		}
	})

	t.Run("docker kill of the leader: a new leader, the jobs intact", func(t *testing.T) {
		old := d.waitLeader(d.servers, "")
		d.mustDocker("kill", old.container)
		var survivors []*dockerAgent
		for _, s := range d.servers {
			if s != old {
				survivors = append(survivors, s)
			}
		}
		leader := d.waitLeader(survivors, old.rpcAddr())
		t.Logf("killed the leader %s; new leader %s", old.name, leader.name)
		for _, s := range survivors {
			j, err := s.api.job("web")
			if err != nil || len(j.Groups) != 1 || j.Groups[0].Count != 2 {
				t.Fatalf("%s: job web after the leader died: %+v %v", s.name, j, err)
			}
			if got := webAllocs(s.api); got != allocsBefore {
				t.Fatalf("%s: allocations of web changed: %s, want %s", s.name, got, allocsBefore)
			}
		}
		for _, via := range append(append([]*dockerAgent{}, survivors...), d.clients[0]) {
			id := "after-kill-via-" + via.name
			if err := via.api.register(hostJob(execJob(id, "batch", 1, 16, "/sleeper", "0"))); err != nil {
				t.Fatalf("submit %s after the leader died: %v", id, err)
			}
		}
		want := append([]string{"web"}, partitionJobs...)
		for _, via := range append(append([]*dockerAgent{}, survivors...), d.clients[0]) {
			want = append(want, "after-kill-via-"+via.name)
		}
		jobs, err := leader.api.jobs(false)
		if err != nil {
			t.Fatal(err)
		}
		have := jobIDs(jobs)
		for _, id := range want {
			if !have[id] {
				t.Fatalf("acknowledged job %s missing after the leader died: %v", id, have)
			}
		}
	})
}

// buildImage builds the FROM scratch image: the appmesh binary under test
// and the sleeper, nothing else.
func (d *dockerCluster) buildImage() {
	t := d.t
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(appmeshBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "appmesh"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := goBuild(filepath.Join(dir, "sleeper"), "./e2e/cluster/testdata/sleeper"); err != nil {
		t.Fatal(err)
	}
	// The clients' containers may not create namespaces (no
	// --privileged), so exec tasks run with isolation = "none" there
	// (hostJob), which the client allows with raw_exec_enabled.
	if err := os.WriteFile(filepath.Join(dir, "client.hcl"), []byte("client {\n  raw_exec_enabled = true\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM scratch\nCOPY appmesh /appmesh\nCOPY sleeper /sleeper\nCOPY client.hcl /client.hcl\nENTRYPOINT [\"/appmesh\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	d.image = d.name + ":test"
	t.Cleanup(func() { _, _ = d.dockerNoCtx("rmi", "-f", d.image) })
	d.mustDocker("build", "-q", "-t", d.image, dir)
}

// createNetwork creates the test's network on a random 10.x.y.0/24 (a
// fixed subnet lets a reconnected container keep its address).
func (d *dockerCluster) createNetwork() {
	t := d.t
	t.Helper()
	t.Cleanup(d.cleanup)
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		d.subnet = fmt.Sprintf("10.%d.%d", 100+rand.IntN(150), rand.IntN(250))
		_, err = d.docker("network", "create", "--subnet", d.subnet+".0/24", "--label", "appmesh-e2e="+d.name, d.name)
		if err == nil {
			return
		}
	}
	t.Fatalf("create a docker network: %v", err)
}

// run starts an agent container.
func (d *dockerCluster) run(a *dockerAgent) {
	d.t.Helper()
	a.container = d.name + "-" + a.name
	a.api = newAPI("http://" + a.ip + ":6060")
	args := []string{"run", "-d", "--name", a.container, "--hostname", a.name,
		"--network", d.name, "--ip", a.ip, "--label", "appmesh-e2e=" + d.name}
	if d.pki != nil {
		a.api = &apiClient{base: "https://" + a.ip + ":6060", hc: d.pki.httpClient()}
		args = append(args, "-v", d.pki.dir+":/tls:ro")
		a.args = append(a.args, d.pki.agentArgs(!a.client, "/tls")...)
	}
	if a.client {
		// The exec driver puts tasks in cgroups: a client container needs
		// the host's cgroup fs writable (or --privileged, which this
		// sandbox does not allow).
		args = append(args, "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw")
	}
	args = append(append(args, d.image), a.args...)
	d.mustDocker(args...)
}

// dockerNoCtx runs docker outside the test's deadline (cleanup).
func (d *dockerCluster) dockerNoCtx(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	return string(out), err
}

// logs returns the tail of every container's output.
func (d *dockerCluster) logs() string {
	var b strings.Builder
	for _, a := range append(append([]*dockerAgent{}, d.servers...), d.clients...) {
		if a.container == "" {
			continue
		}
		out, _ := d.dockerNoCtx("logs", "--tail", fmt.Sprint(logTailLines), a.container)
		fmt.Fprintf(&b, "---- container %s (%s), last lines:\n%s\n", a.container, a.ip, out)
	}
	return b.String()
}

// cleanup removes the containers and the network; on failure it shows the
// containers' logs first.
func (d *dockerCluster) cleanup() {
	if d.t.Failed() {
		d.t.Log(d.logs())
	}
	out, _ := d.dockerNoCtx("ps", "-aq", "--filter", "label=appmesh-e2e="+d.name)
	if ids := strings.Fields(out); len(ids) > 0 {
		if out, err := d.dockerNoCtx(append([]string{"rm", "-f"}, ids...)...); err != nil {
			d.t.Errorf("remove containers: %v: %s", err, out)
		}
	}
	if out, err := d.dockerNoCtx("network", "rm", d.name); err != nil && !strings.Contains(out, "not found") {
		d.t.Errorf("remove network %s: %v: %s", d.name, err, out)
	}
}

// waitLeader waits until the given servers agree on a leader among them,
// other than not (if set).
func (d *dockerCluster) waitLeader(servers []*dockerAgent, not string) *dockerAgent {
	d.t.Helper()
	var leader *dockerAgent
	waitFor(d.t, waitTimeout, "servers agree on one leader", func() error {
		leader = nil
		var first string
		for _, s := range servers {
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
			return fmt.Errorf("the leader %q is none of %d servers' addresses", first, len(servers))
		}
		return nil
	}, d.logs)
	return leader
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}
