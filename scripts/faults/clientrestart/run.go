package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

// steadyTimeout bounds the wait for every task to be back after a restart.
// It only keeps a broken run from hanging: a healthy cycle takes seconds.
const steadyTimeout = 3 * time.Minute

type options struct {
	bin             string
	cycles          int
	seed            int64
	dir             string
	noDocker        bool
	taskKillEvery   int
	pluginKillEvery int
	earlyKillEvery  int
	maxUptime       time.Duration
	log             io.Writer
}

// runner holds one run: the two agents, the jobs and what was measured.
type runner struct {
	o      options
	dir    string
	rng    *rand.Rand
	server *agentProc
	client *agentProc
	jobs   []job
	image  string
	res    *result
	// seen is every allocation ID of the run: a cgroup of one that is not
	// running any more is a leak.
	seen map[string]bool
	// pids and ctrs are each job's task processes / containers at the
	// last steady state; a re-attach keeps them.
	pids map[string][]int
	ctrs map[string][]string
	// allocIDs are each job's allocations at the last steady state.
	allocIDs map[string][]string
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.o.log, format+"\n", args...)
}

// run sets up the agents and jobs, runs the cycles and cleans up. The
// result holds what was measured even when err is not nil.
func run(ctx context.Context, o options) (*result, error) {
	if o.seed == 0 {
		o.seed = time.Now().UnixNano()
	}
	if o.log == nil {
		o.log = io.Discard
	}
	r := &runner{o: o, rng: rand.New(rand.NewSource(o.seed)), res: &result{seed: o.seed, want: o.cycles},
		seen: map[string]bool{}, pids: map[string][]int{}, ctrs: map[string][]string{},
		allocIDs: map[string][]string{}}
	r.logf("clientrestart: seed %d, %d cycles", o.seed, o.cycles)
	err := r.setup(ctx)
	if err == nil {
		err = r.cycles(ctx)
	}
	if cerr := r.cleanup(err == nil); err == nil {
		err = cerr
	}
	if err == nil {
		r.res.leaks = r.res.leakReport()
		if len(r.res.leaks) > 0 {
			err = fmt.Errorf("leaks: %v", r.res.leaks)
		}
	}
	if err != nil {
		r.res.err = err
		r.logf("clientrestart: FAILED: %v (agent logs in %s)", err, r.dir)
	}
	return r.res, err
}

func (r *runner) setup(ctx context.Context) error {
	r.dir = r.o.dir
	if r.dir == "" {
		d, err := os.MkdirTemp("", "appmesh-clientrestart-")
		if err != nil {
			return err
		}
		r.dir = d
	}
	if err := os.MkdirAll(r.dir, 0o711); err != nil {
		return err
	}
	r.dir, _ = filepath.Abs(r.dir)
	r.logf("clientrestart: work directory %s", r.dir)
	var err error
	if r.server, err = newAgentProc("cr-server", r.o.bin, r.dir, []string{"-server", "-bootstrap-expect", "1"}); err != nil {
		return err
	}
	if err := r.server.start(); err != nil {
		return err
	}
	if err := r.waitLeader(ctx); err != nil {
		return err
	}
	// raw_exec is off unless the client's configuration turns it on.
	cfg := filepath.Join(r.dir, "client.hcl")
	if err := os.WriteFile(cfg, []byte("client {\n  raw_exec_enabled = true\n}\n"), 0o644); err != nil {
		return err
	}
	clientArgs := []string{"-client", "-config", cfg, "-servers", "127.0.0.1:" + strconv.Itoa(r.server.rpc)}
	if r.client, err = newAgentProc("cr-client", r.o.bin, r.dir, clientArgs); err != nil {
		return err
	}
	r.jobs = r.makeJobs()
	if err := r.client.start(); err != nil {
		return err
	}
	if err := r.waitNode(ctx); err != nil {
		return err
	}
	for _, j := range r.jobs {
		if err := r.register(j); err != nil {
			return err
		}
	}
	if _, err := r.waitSteady(ctx, time.Time{}); err != nil {
		return fmt.Errorf("jobs did not start: %w", err)
	}
	base, err := r.measure(ctx)
	if err != nil {
		return err
	}
	r.res.samples = append(r.res.samples, base)
	r.logf("clientrestart: tasks running: %s", base)
	return nil
}

// makeJobs picks each job's marker from the run's process ID so that two
// runs on one machine (and the e2e tests) never count each other's tasks.
func (r *runner) makeJobs() []job {
	base := 40_000_000 + (os.Getpid()%100_000)*10
	tag := strconv.Itoa(base)
	jobs := []job{
		{id: "cr-exec-" + tag, driver: "exec", count: 2, marker: fmt.Sprintf("sleep %d", base+1)},
		{id: "cr-raw-" + tag, driver: "raw_exec", count: 2, marker: fmt.Sprintf("sleep %d", base+2)},
	}
	if r.o.noDocker {
		return jobs
	}
	if err := exec.Command("docker", "version").Run(); err != nil {
		r.logf("clientrestart: no docker job: the engine does not answer (%v)", err)
		return jobs
	}
	src, err := repoFile("drivers/docker/testdata/srv/main.go.txt")
	if err == nil {
		r.image = "appmesh-clientrestart:" + tag
		err = testutil.BuildScratchImage(r.image, src)
	}
	if err != nil {
		r.logf("clientrestart: no docker job: cannot build its image: %v", err)
		r.image = ""
		return jobs
	}
	return append(jobs, job{id: "cr-docker-" + tag, driver: "docker", count: 1})
}

// repoFile finds a file of the repository from the working directory up.
func repoFile(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, rel), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the appmesh repository (no go.mod above the working directory)")
		}
		dir = parent
	}
}

func (r *runner) waitLeader(ctx context.Context) error {
	return r.poll(ctx, "the server to elect itself", func() (bool, string, error) {
		var leader string
		if err := r.server.getJSON(ctx, "/v1/status/leader", &leader); err != nil {
			return false, err.Error(), nil
		}
		return leader != "", "leader " + leader, nil
	})
}

// waitNode waits until the client's node is ready with the drivers the
// jobs use healthy.
func (r *runner) waitNode(ctx context.Context) error {
	return r.poll(ctx, "the client node to be ready", func() (bool, string, error) {
		var nodes []*structs.NodeListStub
		if err := r.server.getJSON(ctx, "/v1/nodes", &nodes); err != nil {
			return false, err.Error(), nil
		}
		for _, n := range nodes {
			if n.Name != r.client.name {
				continue
			}
			if n.Status != structs.NodeStatusReady {
				return false, "node " + n.Status, nil
			}
			for _, j := range r.jobs {
				if d := n.Drivers[j.driver]; d == nil || !d.Healthy {
					return false, "driver " + j.driver + " not healthy yet", nil
				}
			}
			return true, "", nil
		}
		return false, "node not registered", nil
	})
}

// poll calls cond until it holds, fails, the client agent dies or
// steadyTimeout passes.
func (r *runner) poll(ctx context.Context, what string, cond func() (bool, string, error)) error {
	deadline := time.Now().Add(steadyTimeout)
	state := "not checked yet"
	for {
		ok, s, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		state = s
		if r.client != nil && r.client.cmd != nil && !r.client.alive() {
			return fmt.Errorf("waiting for %s: the client agent exited (%s)", what, state)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: not after %s: %s", what, steadyTimeout, state)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
