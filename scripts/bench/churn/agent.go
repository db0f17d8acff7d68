package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
)

// devAgent is the `appmesh agent -dev` process under test. It runs in its
// own process group with TMPDIR in the bench directory, so its data dir
// (and the client's allocation directories) can be counted and is removed
// with the bench directory.
type devAgent struct {
	dir       string
	cmd       *exec.Cmd
	exited    chan struct{}
	api       *api.Client
	allocRoot string
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startAgent(ctx context.Context, bin, dir, logLevel string) (*devAgent, error) {
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	rpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "agent", "-dev", "-http-port", strconv.Itoa(httpPort), "-rpc-port", strconv.Itoa(rpcPort),
		"-log-level", logLevel)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start agent: %w", err)
	}
	a := &devAgent{dir: dir, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(a.exited) }()
	a.api, err = api.NewClient(&api.Config{Address: "http://127.0.0.1:" + strconv.Itoa(httpPort)})
	if err != nil {
		a.stop()
		return nil, err
	}
	if err := a.waitReady(ctx); err != nil {
		a.stop()
		return nil, err
	}
	if a.allocRoot, err = findAllocRoot(dir); err != nil {
		a.stop()
		return nil, err
	}
	return a, nil
}

// waitReady waits until the agent's node is registered and ready.
func (a *devAgent) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		nodes, _, err := a.api.Nodes().List(nil)
		if err == nil && len(nodes) == 1 && nodes[0].Status == structs.NodeStatusReady {
			return nil
		}
		select {
		case <-a.exited:
			return fmt.Errorf("the agent exited during start-up (see %s)", filepath.Join(a.dir, "agent.log"))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("the agent's node was not ready after 60s (see %s)", filepath.Join(a.dir, "agent.log"))
}

// stop ends the agent (SIGTERM, then SIGKILL to its process group).
func (a *devAgent) stop() {
	if a.cmd.Process == nil {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.exited
	}
}

// measure reads every figure once.
func (a *devAgent) measure(ctx context.Context) (figures, error) {
	jobs, _, err := a.api.Jobs().List(nil)
	if err != nil {
		return nil, err
	}
	allocs, _, err := a.api.Allocations().List(nil)
	if err != nil {
		return nil, err
	}
	evals, _, err := a.api.Evaluations().List(nil)
	if err != nil {
		return nil, err
	}
	nodes, _, err := a.api.Nodes().List(nil)
	if err != nil {
		return nil, err
	}
	var snap countingWriter
	if err := a.api.Operator().SnapshotSave(ctx, &snap); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	dirs, err := countDirs(a.allocRoot)
	if err != nil {
		return nil, err
	}
	return figures{int64(len(jobs)), int64(len(allocs)), int64(len(evals)), int64(len(nodes)), snap.n, dirs}, nil
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countingWriter)(nil)

// runChurn runs the batch jobs, o.inFlight at a time, each until it is
// dead, and returns the most allocations the servers listed at once.
func (a *devAgent) runChurn(ctx context.Context, o options) (int, error) {
	jobs := jobsFor(o)
	work := make(chan int)
	errs := make(chan error, o.inFlight)
	var wg sync.WaitGroup
	var mu sync.Mutex
	peak, done := 0, 0
	for w := 0; w < o.inFlight; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				count := min(o.perJob, o.allocs-i*o.perJob)
				if err := a.runJob(ctx, fmt.Sprintf("churn-%05d", i), count); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				done++
				if done%10 == 0 || done == jobs {
					fmt.Printf("  %d/%d jobs done\n", done, jobs)
				}
				mu.Unlock()
			}
		}()
	}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for ctx.Err() == nil {
			if allocs, _, err := a.api.Allocations().List(nil); err == nil {
				mu.Lock()
				peak = max(peak, len(allocs))
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			mu.Lock()
			finished := done == jobs
			mu.Unlock()
			if finished {
				return
			}
		}
	}()
	var err error
feed:
	for i := 0; i < jobs; i++ {
		select {
		case work <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	mu.Lock()
	defer mu.Unlock()
	return peak, err
}

// runJob registers one batch job of count short raw_exec tasks and waits
// until it is dead with every allocation complete.
func (a *devAgent) runJob(ctx context.Context, id string, count int) error {
	job := &structs.Job{ID: id, Type: structs.JobTypeBatch, Groups: []*structs.TaskGroup{{
		Name: "g", Count: count, Tasks: []*structs.Task{{
			Name: "t", Driver: "raw_exec", Config: map[string]any{"command": "/bin/true"},
			Resources: &structs.Resources{CPU: 10, MemoryMB: 10},
		}},
	}}}
	if _, _, err := a.api.Jobs().Register(job, nil); err != nil {
		return fmt.Errorf("register %s: %w", id, err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	var index uint64
	for time.Now().Before(deadline) {
		j, meta, err := a.api.Jobs().Info(id, &api.QueryOptions{WaitIndex: index, WaitTime: 10 * time.Second})
		if err != nil {
			return fmt.Errorf("read %s: %w", id, err)
		}
		index = meta.LastIndex
		if j != nil && j.Status == structs.JobStatusDead {
			return a.checkComplete(id, count)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("job %s not dead after 10 minutes", id)
}

func (a *devAgent) checkComplete(id string, count int) error {
	allocs, _, err := a.api.Jobs().Allocations(id, true, nil)
	if err != nil {
		return fmt.Errorf("allocations of %s: %w", id, err)
	}
	complete := 0
	for _, al := range allocs {
		if al.ClientStatus == structs.AllocClientComplete {
			complete++
		}
	}
	if complete < count {
		return fmt.Errorf("job %s is dead with %d of %d allocations complete", id, complete, count)
	}
	return nil
}

func (a *devAgent) forceGC(ctx context.Context) (string, error) {
	out, err := a.api.System().GarbageCollect()
	if err != nil {
		return "", fmt.Errorf("system gc: %w", err)
	}
	n := out.Collected
	return fmt.Sprintf("%d jobs, %d evaluations, %d allocations", n.Jobs, n.Evals, n.Allocs), nil
}

// waitSettled waits (up to a minute) for the client to remove the
// collected allocations' directories, then measures.
func (a *devAgent) waitSettled(ctx context.Context, before figures) (figures, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		f, err := a.measure(ctx)
		if err != nil {
			return nil, err
		}
		if within5(before[len(before)-1], f[len(f)-1]) || time.Now().After(deadline) {
			return f, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
