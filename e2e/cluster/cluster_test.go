package cluster

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClusterFailover runs three servers and two clients as separate
// processes and walks through the failures a fleet must survive: leader
// election, a service job spread over both clients, kill -9 of the leader
// (and its return), and kill -9 of a client.
func TestClusterFailover(t *testing.T) {
	c := newProcCluster(t)
	servers := c.startServers(3)
	var clients []*procAgent

	t.Run("one leader, three members, three voters", func(t *testing.T) {
		c.waitLeader(servers, "")
		// Raft can elect a leader before gossip has told every server of
		// every other: wait for the membership, do not sample it once.
		for _, s := range servers {
			waitFor(t, waitTimeout, s.name+" sees every server alive", func() error {
				ms, err := s.api.members()
				if err != nil {
					return fmt.Errorf("%s: members: %w", s.name, err)
				}
				return membersProblem(s.name, ms, servers, c.waitLeader(servers, ""))
			}, nil)
		}
		waitFor(t, waitTimeout, "the raft configuration lists three voters and the leader", func() error {
			rc, err := servers[0].api.raftConfiguration()
			if err != nil {
				return fmt.Errorf("raft configuration: %v", err)
			}
			return votersProblem(rc.Servers, servers, c.waitLeader(servers, ""))
		}, nil)

		// The same through the CLI, where this build has it. A loaded
		// machine can move the leadership between the reads above and
		// these: each try re-reads who leads.
		if cliHas("server members") {
			waitFor(t, waitTimeout, "appmesh server members shows the leader", func() error {
				out, err := cli(t, servers[1], "server", "members", "-json")
				if err != nil {
					return fmt.Errorf("appmesh server members -json: %v\n%s", err, out)
				}
				var ms []member
				if err := json.Unmarshal([]byte(out), &ms); err != nil {
					return fmt.Errorf("appmesh server members -json: %v\n%s", err, out)
				}
				return membersProblem("appmesh server members", ms, servers, c.waitLeader(servers, ""))
			}, nil)
		} else {
			t.Log("this build has no `appmesh server members`; checked GET /v1/agent/members only")
		}
		if cliHas("operator raft list-peers") {
			waitFor(t, waitTimeout, "appmesh operator raft list-peers shows the voters", func() error {
				out, err := cli(t, servers[2], "operator", "raft", "list-peers", "-json")
				if err != nil {
					return fmt.Errorf("appmesh operator raft list-peers -json: %v\n%s", err, out)
				}
				var rc raftConfig
				if err := json.Unmarshal([]byte(out), &rc); err != nil {
					return fmt.Errorf("appmesh operator raft list-peers -json: %v\n%s", err, out)
				}
				return votersProblem(rc.Servers, servers, c.waitLeader(servers, ""))
			}, nil)
		} else {
			t.Log("this build has no `appmesh operator raft list-peers`; checked GET /v1/operator/raft/configuration only")
		}
	})
	if t.Failed() {
		return
	}

	webSecs := taskSleep(1)
	c.track(webSecs)
	var webAllocs []alloc
	t.Run("two clients ready, a count 4 service job runs on both", func(t *testing.T) {
		clients = []*procAgent{
			c.newClient("c1", servers[0], servers[1]),
			c.newClient("c2", servers[1], servers[2]),
		}
		for _, cl := range clients {
			cl.start()
		}
		nodes := waitNodesReady(t, servers[0].api, "c1", "c2")

		// Size the tasks so that one node cannot hold all four: each asks
		// for 30% of the smaller node's memory.
		mem := nodes["c1"].Resources.Memory
		if m := nodes["c2"].Resources.Memory; m < mem {
			mem = m
		}
		if mem <= 0 {
			t.Fatalf("node memory not fingerprinted: c1 %+v, c2 %+v", nodes["c1"].Resources, nodes["c2"].Resources)
		}
		if err := servers[1].api.register(sleepJob("web", 4, mem*30/100, webSecs)); err != nil {
			t.Fatalf("register web: %v", err)
		}
		webAllocs = waitRunning(t, servers[0].api, "web", 4)
		onNodes := map[string]bool{}
		for _, a := range webAllocs {
			onNodes[a.NodeName] = true
		}
		if !onNodes["c1"] || !onNodes["c2"] {
			t.Fatalf("4 allocations of 30%% of a node's memory each must use both nodes; got %s", allocSummary(webAllocs))
		}
		waitFor(t, waitTimeout, "4 task processes of web running", func() error {
			if n := taskProcs(webSecs); n != 4 {
				return fmt.Errorf("%d processes `sleep %d`", n, webSecs)
			}
			return nil
		}, nil)
	})
	if t.Failed() {
		return
	}

	t.Run("kill -9 of the leader", func(t *testing.T) {
		old := c.waitLeader(servers, "")
		old.kill9()
		var survivors []*procAgent
		for _, s := range servers {
			if s != old {
				survivors = append(survivors, s)
			}
		}
		leader := c.waitLeader(survivors, old.rpcAddr())
		t.Logf("killed leader %s (%s); new leader %s (%s)", old.name, old.rpcAddr(), leader.name, leader.rpcAddr())

		// The job and its allocations are intact, on every survivor.
		for _, s := range survivors {
			j, err := s.api.job("web")
			if err != nil {
				t.Fatalf("%s: job web after the leader died: %v", s.name, err)
			}
			if len(j.Groups) != 1 || j.Groups[0].Count != 4 {
				t.Fatalf("%s: job web changed: %+v", s.name, j)
			}
			allocs, err := s.api.jobAllocs("web")
			if err != nil {
				t.Fatalf("%s: allocations of web: %v", s.name, err)
			}
			if got, want := allocSummary(running(allocs)), allocSummary(webAllocs); got != want || len(allocs) != 4 {
				t.Fatalf("%s: allocations of web changed when the leader died:\n got  %s (all: %s)\n want %s",
					s.name, got, allocSummary(allocs), want)
			}
		}
		if n := taskProcs(webSecs); n != 4 {
			t.Fatalf("after the leader died %d task processes of web run, want 4", n)
		}

		// A new job through every surviving server and through a client,
		// each acknowledged at the first attempt and placed.
		via := append(append([]*procAgent{}, survivors...), clients[0])
		for i, a := range via {
			id := "after-leader-via-" + a.name
			secs := taskSleep(10 + i)
			c.track(secs)
			if err := a.api.register(sleepJob(id, 1, 32, secs)); err != nil {
				t.Fatalf("submit %s through %s after the leader died: %v", id, a.name, err)
			}
		}
		for _, a := range via {
			waitRunning(t, leader.api, "after-leader-via-"+a.name, 1)
		}

		// The old leader comes back with its data: it rejoins as a
		// follower without taking the leadership, and catches up.
		old.start()
		waitFor(t, waitTimeout, "the old leader rejoins and catches up", func() error {
			l, err := old.api.leader()
			if err != nil {
				return err
			}
			if l != leader.rpcAddr() {
				return fmt.Errorf("%s sees leader %q, want %s", old.name, l, leader.rpcAddr())
			}
			jobs, err := old.api.jobs(true)
			if err != nil {
				return err
			}
			have := jobIDs(jobs)
			for _, a := range via {
				if !have["after-leader-via-"+a.name] {
					return fmt.Errorf("%s's own state (?stale) lacks job after-leader-via-%s", old.name, a.name)
				}
			}
			return nil
		}, nil)
		if l := c.waitLeader(servers, ""); l != leader {
			t.Fatalf("the leader changed from %s to %s when the old leader came back", leader.name, l.name)
		}
		rc, err := leader.api.raftConfiguration()
		if err != nil {
			t.Fatal(err)
		}
		checkVoters(t, rc.Servers, servers, leader)
	})
	if t.Failed() {
		return
	}

	t.Run("kill -9 of a client", func(t *testing.T) {
		api := servers[0].api
		// web fills 90% of one node; stop it so that the survivor can take
		// the lost allocations of the next job.
		if err := api.do("DELETE", "/v1/job/web", nil, nil); err != nil {
			t.Fatalf("stop web: %v", err)
		}
		waitFor(t, waitTimeout, "web's tasks stopped", func() error {
			if n := taskProcs(webSecs); n != 0 {
				return fmt.Errorf("%d processes of web still run", n)
			}
			return nil
		}, nil)
		nodes := waitNodesReady(t, api, "c1", "c2")
		mem := min(nodes["c1"].Resources.Memory, nodes["c2"].Resources.Memory)

		// A batch job with one allocation per node (60% of the memory
		// each), which completes.
		if err := api.register(execJob("batch", "batch", 2, mem*60/100, "/bin/true")); err != nil {
			t.Fatalf("register batch: %v", err)
		}
		var batch []alloc
		waitFor(t, waitTimeout, "both batch allocations complete", func() error {
			var err error
			batch, err = api.jobAllocs("batch")
			if err != nil {
				return err
			}
			done := 0
			for _, a := range batch {
				if a.ClientStatus == "complete" {
					done++
				}
			}
			if len(batch) != 2 || done != 2 || batch[0].NodeID == batch[1].NodeID {
				return fmt.Errorf("batch allocations %s, want 2 complete on 2 nodes", allocSummary(batch))
			}
			return nil
		}, nil)

		svcSecs := taskSleep(2)
		c.track(svcSecs)
		if err := api.register(sleepJob("svc", 4, 32, svcSecs)); err != nil {
			t.Fatalf("register svc: %v", err)
		}
		svc := waitRunning(t, api, "svc", 4)
		perNode := map[string]int{}
		for _, a := range svc {
			perNode[a.NodeName]++
		}
		victimName, survivorName := "c1", "c2"
		if perNode["c2"] > perNode["c1"] {
			victimName, survivorName = "c2", "c1"
		}
		var victim *procAgent
		for _, cl := range clients {
			if cl.name == victimName {
				victim = cl
			}
		}
		lost := map[string]bool{}
		for _, a := range svc {
			if a.NodeName == victimName {
				lost[a.ID] = true
			}
		}
		t.Logf("svc allocations %s; killing %s", allocSummary(svc), victimName)
		victim.kill9()

		waitFor(t, nodeDownTimeout, "node "+victimName+" marked down", func() error {
			n, err := api.node(nodes[victimName].ID)
			if err != nil {
				return err
			}
			if n.Status != "down" {
				return fmt.Errorf("node %s is %q", victimName, n.Status)
			}
			return nil
		}, nil)
		waitFor(t, waitTimeout, "svc runs 4 allocations on "+survivorName, func() error {
			allocs, err := api.jobAllocs("svc")
			if err != nil {
				return err
			}
			run := running(allocs)
			if len(run) != 4 {
				return fmt.Errorf("%d running, want 4: %s", len(run), allocSummary(allocs))
			}
			for _, a := range run {
				if a.NodeName != survivorName {
					return fmt.Errorf("allocation %s runs on %s: %s", short(a.ID), a.NodeName, allocSummary(allocs))
				}
			}
			for _, a := range allocs {
				if lost[a.ID] && a.ClientStatus != "lost" {
					return fmt.Errorf("allocation %s of the dead node is %s/%s, want lost", short(a.ID), a.DesiredStatus, a.ClientStatus)
				}
			}
			return nil
		}, nil)

		after, err := api.jobAllocs("batch")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := allocSummary(after), allocSummary(batch); got != want {
			t.Fatalf("completed batch allocations changed when %s died:\n got  %s\n want %s", victimName, got, want)
		}
	})
}

// TestClusterAckedJobsSurviveLeaderKill submits jobs concurrently through
// all three servers and kill -9s the leader in the middle: every job whose
// PUT was answered with success must be in the state afterwards.
func TestClusterAckedJobsSurviveLeaderKill(t *testing.T) {
	c := newProcCluster(t)
	servers := c.startServers(3)
	leader := c.waitLeader(servers, "")

	const total = 30
	var (
		mu      sync.Mutex
		acked   []string
		failed  []string
		outcome = make(chan struct{}, total)
		killing = make(chan struct{}) // closed when the kill is about to happen
		wg      sync.WaitGroup
	)
	// The leader dies once a third of the submissions have an answer; the
	// first half go out at once, the second half as the kill happens.
	go func() {
		for i := 0; i < total/3; i++ {
			<-outcome
		}
		close(killing)
		leader.kill9()
	}()
	start := time.Now()
	for i := 0; i < total; i++ {
		id := fmt.Sprintf("acked-%02d", i)
		via := servers[i%len(servers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i >= total/2 {
				<-killing
			}
			job := execJob(id, "batch", 1, 32, "/bin/true")
			err := via.api.register(job)
			// The second half retries, through the next server each time,
			// like a user whose submission failed: all of them must get
			// through once a new leader is in place.
			for attempt := 1; err != nil && i >= total/2; attempt++ {
				if time.Since(start) > waitTimeout {
					err = fmt.Errorf("not accepted through any server for %v, last error: %w", waitTimeout, err)
					break
				}
				time.Sleep(100 * time.Millisecond)
				err = servers[(i+attempt)%len(servers)].api.register(job)
			}
			mu.Lock()
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s via %s: %v", id, via.name, err))
			} else {
				acked = append(acked, id)
			}
			mu.Unlock()
			outcome <- struct{}{}
		}()
	}
	wg.Wait()
	t.Logf("%d of %d submissions acknowledged; %d failed:\n%s", len(acked), total, len(failed), strings.Join(failed, "\n"))
	if len(acked) == 0 {
		t.Fatalf("no submission was acknowledged at all")
	}
	for _, f := range failed {
		var n int
		if _, err := fmt.Sscanf(f, "acked-%d", &n); err == nil && n >= total/2 {
			t.Errorf("a job submitted during the leader's death never got through a surviving server: %s", f)
		}
	}

	var survivors []*procAgent
	for _, s := range servers {
		if s != leader {
			survivors = append(survivors, s)
		}
	}
	c.waitLeader(survivors, leader.rpcAddr())
	sort.Strings(acked)
	for _, s := range survivors {
		for _, stale := range []bool{false, true} {
			var missing []string
			waitFor(t, waitTimeout, fmt.Sprintf("%s (stale=%v) lists every acknowledged job", s.name, stale), func() error {
				jobs, err := s.api.jobs(stale)
				if err != nil {
					return err
				}
				have := jobIDs(jobs)
				missing = missing[:0]
				for _, id := range acked {
					if !have[id] {
						missing = append(missing, id)
					}
				}
				if len(missing) > 0 {
					return fmt.Errorf("%d acknowledged jobs missing: %v", len(missing), missing)
				}
				return nil
			}, nil)
		}
	}
}

// TestClusterSnapshotRestore saves a snapshot of a three-server cluster and
// restores it into a fresh single server: the jobs come back, and stay
// after that server restarts.
func TestClusterSnapshotRestore(t *testing.T) {
	c := newProcCluster(t)
	servers := c.startServers(3)
	leader := c.waitLeader(servers, "")
	var follower *procAgent
	for _, s := range servers {
		if s != leader {
			follower = s
			break
		}
	}

	want := map[string]map[string]any{
		"snap-web":   sleepJob("snap-web", 3, 48, taskSleep(40)),
		"snap-api":   sleepJob("snap-api", 2, 64, taskSleep(41)),
		"snap-batch": execJob("snap-batch", "batch", 5, 16, "/bin/echo", "hello", "world"),
	}
	for id, j := range want {
		if err := follower.api.register(j); err != nil {
			t.Fatalf("register %s: %v", id, err)
		}
	}

	snap := c.dir + "/cluster.snap"
	useCLI := cliHas("operator snapshot save") && cliHas("operator snapshot restore")
	if useCLI {
		if out, err := cli(t, follower, "operator", "snapshot", "save", snap); err != nil {
			t.Fatalf("appmesh operator snapshot save: %v\n%s", err, out)
		}
	} else {
		t.Log("this build has no `appmesh operator snapshot save/restore`; using GET/PUT /v1/operator/snapshot")
		if err := httpSnapshotSave(follower.api, snap); err != nil {
			t.Fatalf("snapshot save: %v", err)
		}
	}

	fresh := c.newServer("fresh", 1)
	fresh.start()
	if c.pki != nil {
		c.bootstrapACL(fresh) // its own token, until the restore brings the cluster's
	}
	c.waitLeader([]*procAgent{fresh}, "")
	if jobs, err := fresh.api.jobs(false); err != nil || len(jobs) != 0 {
		t.Fatalf("the fresh server is not empty: %v %v", jobs, err)
	}
	if useCLI {
		if out, err := cli(t, fresh, "operator", "snapshot", "restore", snap); err != nil {
			t.Fatalf("appmesh operator snapshot restore: %v\n%s", err, out)
		}
	} else if err := httpSnapshotRestore(fresh.api, snap); err != nil {
		t.Fatalf("snapshot restore: %v", err)
	}
	if c.pki != nil {
		c.useClusterToken(fresh) // the restored state holds the cluster's tokens
	}

	check := func(when string) {
		t.Helper()
		jobs, err := fresh.api.jobs(false)
		if err != nil {
			t.Fatalf("%s: list jobs: %v", when, err)
		}
		if got := jobIDs(jobs); len(got) != len(want) {
			t.Fatalf("%s: jobs %v, want exactly %d: snap-web, snap-api, snap-batch", when, got, len(want))
		}
		for id, w := range want {
			j, err := fresh.api.job(id)
			if err != nil {
				t.Fatalf("%s: job %s: %v", when, id, err)
			}
			wg := w["groups"].([]any)[0].(map[string]any)
			if j.Type != w["type"] || len(j.Groups) != 1 || j.Groups[0].Count != wg["count"] ||
				len(j.Groups[0].Tasks) != 1 ||
				fmt.Sprint(j.Groups[0].Tasks[0].Config["args"]) != fmt.Sprint(wg["tasks"].([]any)[0].(map[string]any)["config"].(map[string]any)["args"]) {
				t.Fatalf("%s: job %s came back as %+v, want %v", when, id, j, w)
			}
		}
	}
	check("after restore")

	// The restored state is the server's state, not a view: it survives a
	// restart, and the server keeps accepting jobs.
	fresh.kill9()
	fresh.start()
	c.waitLeader([]*procAgent{fresh}, "")
	check("after restore and kill -9 + restart")
	if err := fresh.api.register(execJob("after-restore", "batch", 1, 16, "/bin/true")); err != nil {
		t.Fatalf("register a job after the restore: %v", err)
	}
}

// checkMembers checks one view of the server members: the three servers,
// all alive, the leader marked.
func checkMembers(t *testing.T, who string, ms []member, servers []*procAgent, leader *procAgent) {
	t.Helper()
	if err := membersProblem(who, ms, servers, leader); err != nil {
		t.Fatal(err)
	}
}

// membersProblem says what is wrong with a member list: not exactly the
// servers, not all alive, or not exactly one leader (the given one).
func membersProblem(who string, ms []member, servers []*procAgent, leader *procAgent) error {
	var names []string
	alive, leaders := 0, 0
	for _, m := range ms {
		names = append(names, m.Name)
		if m.Status == "alive" {
			alive++
		}
		if m.Leader {
			leaders++
			if m.Name != leader.name {
				return fmt.Errorf("%s: member %s is marked leader, but the leader is %s", who, m.Name, leader.name)
			}
		}
	}
	sort.Strings(names)
	var want []string
	for _, s := range servers {
		want = append(want, s.name)
	}
	if strings.Join(names, ",") != strings.Join(want, ",") || alive != len(servers) || leaders != 1 {
		return fmt.Errorf("%s: members %+v: want %v all alive with exactly one leader", who, ms, want)
	}
	return nil
}

// checkVoters checks a Raft configuration: exactly the servers, all voters,
// one of them the leader.
func checkVoters(t *testing.T, peers []raftPeer, servers []*procAgent, leader *procAgent) {
	t.Helper()
	if err := votersProblem(peers, servers, leader); err != nil {
		t.Fatal(err)
	}
}

// votersProblem says what is wrong with a Raft configuration: not exactly
// the servers as voters, or not exactly one leader (the given one).
func votersProblem(peers []raftPeer, servers []*procAgent, leader *procAgent) error {
	var got, want []string
	leaders := 0
	for _, p := range peers {
		got = append(got, p.Address)
		if !p.Voter {
			return fmt.Errorf("raft peer %s (%s) is not a voter", p.Node, p.Address)
		}
		if p.Leader {
			leaders++
			if p.Address != leader.rpcAddr() {
				return fmt.Errorf("raft peer %s is marked leader, but the leader is %s", p.Address, leader.rpcAddr())
			}
		}
	}
	for _, s := range servers {
		want = append(want, s.rpcAddr())
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") || leaders != 1 {
		return fmt.Errorf("raft configuration %+v: want voters %v with exactly one leader", peers, want)
	}
	return nil
}

// waitNodesReady waits until the named nodes are ready with a healthy exec
// driver, and returns them by name.
func waitNodesReady(t *testing.T, api *apiClient, names ...string) map[string]node {
	t.Helper()
	byName := map[string]node{}
	waitFor(t, waitTimeout, fmt.Sprintf("nodes %v ready", names), func() error {
		nodes, err := api.nodes()
		if err != nil {
			return err
		}
		byName = map[string]node{}
		for _, n := range nodes {
			if n.Status == "ready" {
				byName[n.Name] = n
			}
		}
		for _, name := range names {
			n, ok := byName[name]
			if !ok {
				return fmt.Errorf("node %s not ready: nodes %+v", name, nodes)
			}
			if d := n.Drivers["exec"]; !d.Healthy {
				return fmt.Errorf("node %s: exec driver not healthy: %s", name, d.HealthDescription)
			}
			full, err := api.node(n.ID)
			if err != nil {
				return err
			}
			byName[name] = full
		}
		return nil
	}, nil)
	return byName
}

// waitRunning waits until job has exactly n running allocations and none
// failed, and returns the running ones.
func waitRunning(t *testing.T, api *apiClient, job string, n int) []alloc {
	t.Helper()
	var run []alloc
	waitFor(t, waitTimeout, fmt.Sprintf("job %s runs %d allocations", job, n), func() error {
		allocs, err := api.jobAllocs(job)
		if err != nil {
			return err
		}
		for _, a := range allocs {
			if a.ClientStatus == "failed" {
				return fmt.Errorf("allocation %s failed: %+v", short(a.ID), a.TaskStates)
			}
		}
		run = running(allocs)
		if len(run) != n {
			return fmt.Errorf("%d running: %s", len(run), allocSummary(allocs))
		}
		return nil
	}, nil)
	return run
}
