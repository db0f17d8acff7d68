// Command churn measures that garbage collection keeps a cluster bounded
// under constant churn: it starts a dev agent from the built binary, runs
// many short batch allocations through it, forces a garbage collection
// (`PUT /v1/system/gc`) and compares the state store's object counts, the
// snapshot size and the client's allocation directory count with their
// values before the churn. Each must come back to within 5% of its start.
//
//	go run ./scripts/bench/churn -bin bin/appmesh -allocs 10000
//
// Exit status: 0 when every figure is back within 5%, 1 when one is not or
// the run failed, 2 on bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() { os.Exit(run()) }

type options struct {
	bin      string
	allocs   int
	perJob   int
	inFlight int
	keep     bool
	logLevel string
}

func run() int {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/appmesh", "the appmesh binary")
	flag.IntVar(&o.allocs, "allocs", 10000, "short batch allocations to run in total")
	flag.IntVar(&o.perJob, "per-job", 50, "allocations per batch job (its count)")
	flag.IntVar(&o.inFlight, "in-flight", 4, "batch jobs running at the same time")
	flag.BoolVar(&o.keep, "keep", false, "keep the agent's directory (logs) after the run")
	flag.StringVar(&o.logLevel, "log-level", "INFO", "the agent's log level")
	flag.Parse()
	if o.allocs < 1 || o.perJob < 1 || o.inFlight < 1 {
		fmt.Fprintln(os.Stderr, "churn: -allocs, -per-job and -in-flight must be at least 1")
		return 2
	}
	bin, err := filepath.Abs(o.bin)
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "churn: binary %s: %v (run `make build` first)\n", o.bin, err)
		return 2
	}
	o.bin = bin
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := churn(ctx, o); err != nil {
		fmt.Fprintf(os.Stderr, "churn: %v\n", err)
		if errors.Is(err, errNotBounded) {
			return 1
		}
		if ctx.Err() != nil {
			return 130
		}
		return 1
	}
	return 0
}

var errNotBounded = errors.New("a figure did not come back within 5% of its start")

func churn(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "appmesh-churn-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Printf("agent directory: %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	ag, err := startAgent(ctx, o.bin, dir, o.logLevel)
	if err != nil {
		return err
	}
	defer ag.stop()

	cold, err := ag.measure(ctx)
	if err != nil {
		return fmt.Errorf("measure the fresh agent: %w", err)
	}
	// A warm-up job, run and collected, so that the start figures include
	// what the first use of each table writes once (its row in the index
	// table): that is not growth, and churn must not add to it.
	if err := ag.runJob(ctx, "warm-up", 1); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if _, err := ag.forceGC(ctx); err != nil {
		return err
	}
	before, err := ag.waitSettled(ctx, cold)
	if err != nil {
		return fmt.Errorf("measure before the churn: %w", err)
	}
	fmt.Printf("fresh agent: snapshot %d bytes; after the warm-up job and a gc: %d bytes\n", cold[4], before[4])
	start := time.Now()
	peak, err := ag.runChurn(ctx, o)
	if err != nil {
		return err
	}
	churnTime := time.Since(start)
	peakSnap, err := ag.measure(ctx)
	if err != nil {
		return fmt.Errorf("measure after the churn: %w", err)
	}
	gcStart := time.Now()
	collected, err := ag.forceGC(ctx)
	if err != nil {
		return err
	}
	gcTime := time.Since(gcStart)
	after, err := ag.waitSettled(ctx, before)
	if err != nil {
		return err
	}
	fmt.Printf("\nchurn: %d batch allocations in %d jobs of %d, %d jobs at a time: %s (%.0f allocations/s)\n",
		o.allocs, jobsFor(o), o.perJob, o.inFlight, churnTime.Round(time.Millisecond), float64(o.allocs)/churnTime.Seconds())
	fmt.Printf("system gc: %s, collected %s\n\n", gcTime.Round(time.Millisecond), collected)
	ok := printFigures(before, peakSnap, after, peak)
	if !ok {
		return errNotBounded
	}
	return nil
}

func jobsFor(o options) int { return (o.allocs + o.perJob - 1) / o.perJob }

// printFigures prints one line per figure: before, after the churn
// (before collection), after collection, and whether it came back.
func printFigures(before, churned, after figures, peak int) bool {
	fmt.Printf("%-34s %12s %14s %12s  %s\n", "figure", "start", "after churn", "after gc", "verdict")
	ok := true
	for i, name := range figureNames {
		b, c, a := before[i], churned[i], after[i]
		verdict := "OK"
		if !within5(b, a) {
			verdict, ok = "MISS", false
		}
		fmt.Printf("%-34s %12d %14d %12d  %s\n", name, b, c, a, verdict)
	}
	fmt.Printf("%-34s %12s %14d %12s  %s\n", "allocations listed, peak", "", peak, "", "info")
	return ok
}

// within5: |after - start| ≤ 5% of start (so a start of 0 must stay 0).
func within5(start, after int64) bool {
	d := after - start
	if d < 0 {
		d = -d
	}
	return d*100 <= start*5
}

// figures are the measured values, in the order of figureNames.
type figures []int64

var figureNames = []string{
	"jobs in the state",
	"allocations in the state",
	"evaluations in the state",
	"nodes in the state",
	"snapshot size (bytes)",
	"client allocation directories",
}

// findAllocRoot is the dev agent's client allocation directory under dir
// (the agent's TMPDIR): <dir>/appmesh-dev-*/alloc.
func findAllocRoot(dir string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "appmesh-dev-*"))
	if err != nil || len(matches) != 1 {
		return "", fmt.Errorf("find the dev agent's data dir under %s: %d match(es) %v", dir, len(matches), err)
	}
	return filepath.Join(matches[0], "alloc"), nil
}

func countDirs(root string) (int64, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n, nil
}
