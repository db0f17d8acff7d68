// Command node measures one appmesh node against the performance budgets of
// DESIGN.md: submit→running latency (API and CLI), idle memory, memory per
// running task, 1,000 tasks on one node, and leader failover. It starts
// agents from the built binary, prints one line per figure with its budget,
// and stops and removes everything it started, also on Ctrl-C.
//
//	go run ./scripts/bench/node -bin bin/appmesh [-quick] [-only=api,cli,...]
//
// See README.md beside this file.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// figures, in the order they run. idle runs whenever pertask does: it is
// pertask's baseline.
var figureNames = []string{"api", "cli", "idle", "pertask", "thousand", "leaks", "failover"}

type bench struct {
	src      string // the binary given by -bin
	bin      string // the private copy of it that the benchmark runs
	exe      string // bin as /proc/<pid>/exe shows it
	sleep    string // absolute path of sleep(1)
	quick    bool
	only     map[string]bool
	logLevel string
	root     string // temporary directory of this run
	nonce    string // digits unique to this run, in every task's sleep argument
	seq      int    // last task marker handed out

	mu       sync.Mutex
	agents   []*agent
	failures int
}

func main() {
	os.Exit(run())
}

func run() int {
	var (
		bin      = flag.String("bin", "bin/appmesh", "the appmesh binary to measure (built by `make build`)")
		quick    = flag.Bool("quick", false, "fewer runs and tasks: a smoke check of the harness, not a measurement")
		only     = flag.String("only", "", "comma-separated figures to measure, of: "+strings.Join(figureNames, ", ")+" (default all)")
		logLevel = flag.String("log-level", "", "pass -log-level to the agents (default: the agent's own default)")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: go run ./scripts/bench/node [-bin bin/appmesh] [-quick] [-only=figure,...]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		return 2
	}
	b := &bench{quick: *quick, logLevel: *logLevel, only: map[string]bool{}}
	if *only == "" {
		for _, f := range figureNames {
			b.only[f] = true
		}
	} else {
		for _, f := range strings.Split(*only, ",") {
			f = strings.TrimSpace(f)
			if !slices.Contains(figureNames, f) {
				fmt.Fprintf(os.Stderr, "bench: unknown figure %q in -only; use some of: %s\n", f, strings.Join(figureNames, ", "))
				return 2
			}
			b.only[f] = true
		}
	}
	if b.only["pertask"] {
		b.only["idle"] = true
	}
	if err := b.setup(*bin); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := false
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		n := 0
		for range sigs {
			n++
			switch {
			case n == 1:
				interrupted = true
				fmt.Fprintln(os.Stderr, "\nbench: interrupted: stopping jobs and agents and removing "+b.root+" (interrupt twice more to abandon them)")
				cancel()
			case n >= 3:
				fmt.Fprintln(os.Stderr, "bench: abandoning clean-up; agents may be left running (process groups of the pids in "+b.root+")")
				os.Exit(130)
			}
		}
	}()
	defer b.cleanup()

	b.header()
	if b.only["api"] || b.only["cli"] || b.only["idle"] {
		b.step(ctx, "dev agent", b.devAgentFigures)
	}
	if b.only["thousand"] {
		b.step(ctx, "1,000 tasks", b.thousandFigure)
	}
	if b.only["leaks"] {
		b.step(ctx, "1,000 short tasks", b.leaksFigure)
	}
	if b.only["failover"] {
		b.step(ctx, "leader failover", b.failoverFigure)
	}
	if interrupted || ctx.Err() != nil {
		return 130
	}
	if b.failures > 0 {
		fmt.Printf("\n%d figure(s) could not be measured; see the ERROR lines above.\n", b.failures)
		return 1
	}
	return 0
}

// setup checks the binary and creates the run's temporary directory.
func (b *bench) setup(bin string) error {
	abs, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("binary %s: %w (build it with `make build`)", abs, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("binary %s is not an executable file", abs)
	}
	b.src = abs
	if b.sleep, err = exec.LookPath("sleep"); err != nil {
		return fmt.Errorf("the tasks run sleep(1): %w", err)
	}
	if b.sleep, err = filepath.Abs(b.sleep); err != nil {
		return err
	}
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		return fmt.Errorf("memory figures need /proc/<pid>/smaps_rollup (Linux ≥ 4.14): %w", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1e9))
	if err != nil {
		return err
	}
	b.nonce = fmt.Sprintf("%09d", n.Int64())
	if b.root, err = os.MkdirTemp("", "appmesh-bench-node-"); err != nil {
		return err
	}
	// Run a private copy: PSS divides the binary's file pages among every
	// process mapping the same file, and other appmesh processes on the
	// machine (a developer's agent, a test's plugin) would otherwise lower
	// our figures depending on what else happens to run.
	b.bin = filepath.Join(b.root, "appmesh")
	if err := copyFile(abs, b.bin); err != nil {
		return fmt.Errorf("copy the binary: %w", err)
	}
	b.exe = b.bin
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// marker returns a new sleep argument: 86400 seconds and a fraction made of
// the run's nonce and a sequence number, so that each job's processes can be
// found in /proc and none is confused with another run's.
func (b *bench) marker() string {
	b.seq++
	return fmt.Sprintf("86400.%s%05d", b.nonce, b.seq)
}

// runMarker is a prefix of every marker of this run.
func (b *bench) runMarker() string { return "86400." + b.nonce }

func (b *bench) header() {
	version := "unknown version"
	if out, err := exec.Command(b.bin, "version").Output(); err == nil {
		version = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	var uname syscall.Utsname
	kernel := "?"
	if syscall.Uname(&uname) == nil {
		kernel = utsString(uname.Release[:])
	}
	load := "?"
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(data))[:3], " ")
	}
	fmt.Printf("appmesh node benchmark: %s (%s), run from a private copy\n", b.src, version)
	fmt.Printf("machine: %d CPUs, Linux %s, load average %s, %s; temp dir %s", runtime.NumCPU(), kernel, load, time.Now().Format(time.RFC3339), b.root)
	if b.quick {
		fmt.Print("; -quick: fewer runs, a smoke check only")
	}
	fmt.Println()
	fmt.Println()
	fmt.Printf("%-50s %16s   %-20s %s\n", "figure", "measured", "budget", "verdict")
}

func utsString(cs []int8) string {
	var sb strings.Builder
	for _, c := range cs {
		if c == 0 {
			break
		}
		sb.WriteByte(byte(c))
	}
	return sb.String()
}

// step runs a group of figures; an error is reported and counted, and the
// run goes on with the next group (unless interrupted).
func (b *bench) step(ctx context.Context, name string, f func(context.Context) error) {
	if ctx.Err() != nil {
		return
	}
	if err := f(ctx); err != nil {
		if ctx.Err() != nil {
			return
		}
		b.failures++
		fmt.Printf("%-50s %16s   %-20s %s\n", name, "—", "", "ERROR")
		fmt.Printf("    %s\n", strings.ReplaceAll(err.Error(), "\n", "\n    "))
	}
}

// report prints one figure line.
func report(label, value, budget, verdict string) {
	fmt.Printf("%-50s %16s   %-20s %s\n", label, value, budget, verdict)
}

// detail prints an indented note under a figure.
func detail(format string, args ...any) {
	fmt.Printf("    "+format+"\n", args...)
}

// within returns OK or MISS.
func within(ok bool) string {
	if ok {
		return "OK"
	}
	return "MISS"
}

// newAgent starts an agent and keeps it for clean-up.
func (b *bench) startAgent(ctx context.Context, a *agent) error {
	if b.logLevel != "" && !slices.Contains(a.args, "-log-level") {
		a.args = append(a.args, "-log-level", b.logLevel)
	}
	b.mu.Lock()
	if !slices.Contains(b.agents, a) {
		b.agents = append(b.agents, a)
	}
	b.mu.Unlock()
	return a.start(ctx, b.bin)
}

// stopAgent stops a dev agent's jobs, waits for their processes to go, then
// stops the agent itself.
func (b *bench) stopAgent(a *agent) {
	if a.pid() != 0 && a.gossip == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if ids, err := a.api.liveJobIDs(ctx); err == nil {
			for _, id := range ids {
				_ = a.api.stopJob(ctx, id)
			}
		}
		_, _ = waitProcsGone(ctx, b.runMarker(), 50*time.Millisecond)
		cancel()
	}
	a.stop(15 * time.Second)
}

// cleanup stops every agent started, kills any task process of this run left
// behind, and removes the temporary directory.
func (b *bench) cleanup() {
	b.mu.Lock()
	agents := slices.Clone(b.agents)
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, a := range agents {
		wg.Add(1)
		go func() { defer wg.Done(); b.stopAgent(a) }()
	}
	wg.Wait()
	if pids, err := sysProc.pidsWithArg(b.runMarker()); err == nil && len(pids) > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d task process(es) outlived their agent; killing them: %v\n", len(pids), pids)
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if b.root == "" {
		return
	}
	if mnts := mountsUnder(b.root); len(mnts) > 0 {
		fmt.Fprintf(os.Stderr, "bench: not removing %s: still mounted below it: %s\n", b.root, strings.Join(mnts, ", "))
		return
	}
	if err := os.RemoveAll(b.root); err != nil {
		fmt.Fprintf(os.Stderr, "bench: remove %s: %v\n", b.root, err)
	}
}

// mountsUnder lists mount points at or below dir (a bind mount left by a
// driver must not be walked into by RemoveAll).
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return []string{"(cannot read /proc/self/mountinfo: " + err.Error() + ")"}
	}
	return parseMountsUnder(string(data), dir)
}

// parseMountsUnder reads mountinfo (field 5 is the mount point, with spaces
// escaped as \040) and returns the mount points at or below dir.
func parseMountsUnder(mountinfo, dir string) []string {
	dir = filepath.Clean(dir)
	var out []string
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := strings.ReplaceAll(f[4], `\040`, " ")
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	return out
}

// waitProcsGone polls /proc until no process carries marker; it returns how
// long that took.
func waitProcsGone(ctx context.Context, marker string, poll time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		n, err := sysProc.countWithArg(marker)
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("%d process(es) with %q still running after %s", n, marker, time.Since(start).Round(time.Millisecond))
		case <-time.After(poll):
		}
	}
}

// sleepCtx sleeps unless ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
