package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// With -event-proc the subscribers run in a child process: this binary
// re-executed with eventChildEnv set. Their reads are the dashboards' work,
// done on the dashboards' machines in a real cluster; in this process they
// would count in the `process CPU` line and compete with the servers for
// the same scheduler, so that the figure mixed the servers' cost of a
// subscriber with the subscriber's own. Out of process, `process CPU` is
// the servers' side (and the simulator's) only, and the child's CPU is
// reported apart. With -event-cgroup the child also runs in a cgroup v1
// cpu group, by default of minimal weight, so that on two shared cores it
// takes CPU only when the servers and the simulator leave some; then the
// subscribers fall behind during the run and part of the servers' writes
// wait until after it (the report says how much was read in the window).
const eventChildEnv = "APPMESH_SIM_EVENT_CHILD"

// eventChildResult is what the child prints on stdout when told to stop.
type eventChildResult struct {
	Read  int64 `json:"read"`
	Early int64 `json:"early"`
}

// eventProc is the parent's handle on the child.
type eventProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startEventProc starts the child, waits until all its streams are open
// and returns the handle. cgroup, when set, is a cgroup v1 cpu directory
// (created when missing) the child moves itself into
// before opening any stream, of cpu.shares weight.
func startEventProc(url string, n int, o eventOptions, cgroup string, shares int) (*eventProc, error) {
	if cgroup != "" {
		if err := ensureCgroup(cgroup, shares); err != nil {
			return nil, err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("event subscriber process: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), eventChildEnv+"=1",
		"SIM_EV_URL="+url, "SIM_EV_N="+strconv.Itoa(n), "SIM_EV_ENCODING="+o.encoding,
		"SIM_EV_FULL="+strconv.FormatBool(o.full), "SIM_EV_CGROUP="+cgroup)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start event subscriber process: %w", err)
	}
	p := &eventProc{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("event subscriber process did not open its streams (%q): %v", line, err)
	}
	return p, nil
}

// mark asks the child how many bytes it has read so far: at the end of
// the measured window, so that the report tells whether the subscribers
// kept up or left part of the servers' writes to after the window.
func (p *eventProc) mark() (int64, error) {
	if _, err := io.WriteString(p.stdin, "mark\n"); err != nil {
		return 0, fmt.Errorf("event subscriber process: %w", err)
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("event subscriber process: %w", err)
	}
	var res eventChildResult
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return 0, fmt.Errorf("event subscriber process answered %q: %w", line, err)
	}
	return res.Read, nil
}

// stop tells the child to close its streams and returns what it read and
// the CPU time it used in all.
func (p *eventProc) stop() (eventChildResult, time.Duration, error) {
	var res eventChildResult
	p.stdin.Close()
	line, rerr := p.out.ReadString('\n')
	werr := p.cmd.Wait()
	cpu := time.Duration(0)
	if ps := p.cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	if err := errors.Join(rerr, werr); err != nil {
		return res, cpu, fmt.Errorf("event subscriber process: %w", err)
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return res, cpu, fmt.Errorf("event subscriber process answered %q: %w", line, err)
	}
	return res, cpu, nil
}

// runEventChild is the child's main: join the cgroup, open the streams,
// say "ready", drain until stdin closes, print the counts (and the bytes
// read so far for each "mark" line on stdin).
func runEventChild() error {
	if cg := os.Getenv("SIM_EV_CGROUP"); cg != "" {
		pid := []byte(strconv.Itoa(os.Getpid()))
		if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), pid, 0o644); err != nil {
			return fmt.Errorf("join cgroup %s: %w", cg, err)
		}
	}
	n, err := strconv.Atoi(os.Getenv("SIM_EV_N"))
	if err != nil {
		return fmt.Errorf("SIM_EV_N: %w", err)
	}
	o := eventOptions{encoding: os.Getenv("SIM_EV_ENCODING"), full: os.Getenv("SIM_EV_FULL") == "true"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, wait, err := eventSubscribers(ctx, os.Getenv("SIM_EV_URL"), n, o)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	enc := json.NewEncoder(os.Stdout)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() { // until the parent closes stdin
		if in.Text() == "mark" {
			if err := enc.Encode(eventChildResult{Read: st.read.Load(), Early: st.early.Load()}); err != nil {
				return err
			}
		}
	}
	cancel()
	wait()
	return enc.Encode(eventChildResult{Read: st.read.Load(), Early: st.early.Load()})
}

// ensureCgroup makes dir a cgroup v1 cpu group with the given weight.
func ensureCgroup(dir string, shares int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s (a cgroup v1 cpu directory, as root): %w", dir, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cpu.shares"), []byte(strconv.Itoa(shares)), 0o644); err != nil {
		return fmt.Errorf("set cpu.shares of %s: %w", dir, err)
	}
	return nil
}
