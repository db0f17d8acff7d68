// Command metrics measures what scraping GET /v1/metrics every second costs
// an idle dev agent: the agent's CPU time (and its helper processes') over
// windows without scraping and windows with a scrape a second, alternated
// so that background load on the machine hits both alike.
//
//	go run ./scripts/bench/metrics -bin bin/appmesh [-window 60s] [-rounds 3]
//
// It prints the CPU used in each kind of window as a percentage of one
// core, the difference (the budget is under 1%), the scrape latency and
// the size of the exposition. Exit status 1 when it could not measure, 2 on
// bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
)

func main() {
	bin := flag.String("bin", "bin/appmesh", "the appmesh binary")
	window := flag.Duration("window", 60*time.Second, "length of each measured window")
	rounds := flag.Int("rounds", 3, "pairs of (idle, scraped) windows")
	interval := flag.Duration("interval", time.Second, "scrape interval")
	flag.Parse()
	if *window < 5*time.Second || *rounds < 1 || *interval <= 0 {
		fmt.Fprintln(os.Stderr, "metrics: -window must be at least 5s, -rounds at least 1, -interval positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *bin, *window, *rounds, *interval); err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin string, window time.Duration, rounds int, interval time.Duration) error {
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "appmesh-bench-metrics-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(bin, "agent", "-dev", "-log-level", "WARN",
		"-http-port", strconv.Itoa(ports[0]), "-rpc-port", strconv.Itoa(ports[1]), "-gossip-port", strconv.Itoa(ports[2]),
		"-data-dir", filepath.Join(dir, "data"))
	logf, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", bin, err)
	}
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	if err := waitHealthy(ctx, base); err != nil {
		return err
	}
	fmt.Printf("dev agent pid %d ready; warming up 10s\n", cmd.Process.Pid)
	if !ctxsleep.Sleep(ctx, 10*time.Second) {
		return ctx.Err()
	}
	var idle, scraped []float64
	var lat []time.Duration
	size := 0
	for r := 1; r <= rounds; r++ {
		c, err := measure(ctx, cmd.Process.Pid, window, nil)
		if err != nil {
			return err
		}
		idle = append(idle, c)
		s, err := measure(ctx, cmd.Process.Pid, window, func() error {
			t0 := time.Now()
			n, err := scrape(base)
			lat = append(lat, time.Since(t0))
			size = n
			return err
		}, interval)
		if err != nil {
			return err
		}
		scraped = append(scraped, s)
		fmt.Printf("round %d: idle %.3f%% of a core, scraped every %v %.3f%%\n", r, c, interval, s)
	}
	mi, ms := mean(idle), mean(scraped)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	fmt.Printf("\nidle agent CPU            %.3f%% of one core (mean of %d windows of %v)\n", mi, rounds, window)
	fmt.Printf("with a scrape every %v   %.3f%%\n", interval, ms)
	fmt.Printf("cost of scraping          %.3f%% of one core (budget < 1%%)\n", ms-mi)
	fmt.Printf("scrape latency            p50 %v, p99 %v (%d scrapes)\n", lat[len(lat)/2].Round(10*time.Microsecond),
		lat[(len(lat)*99)/100].Round(10*time.Microsecond), len(lat))
	fmt.Printf("exposition size           %d bytes\n", size)
	return nil
}

// measure returns the CPU the agent and its descendants used during the
// window, in percent of one core, calling tick every interval meanwhile.
func measure(ctx context.Context, pid int, window time.Duration, tick func() error, interval ...time.Duration) (float64, error) {
	before, err := treeCPU(pid)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if tick == nil {
		if !ctxsleep.Sleep(ctx, window) {
			return 0, ctx.Err()
		}
	} else {
		t := time.NewTicker(interval[0])
		defer t.Stop()
		for time.Since(start) < window {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-t.C:
				if err := tick(); err != nil {
					return 0, err
				}
			}
		}
	}
	after, err := treeCPU(pid)
	if err != nil {
		return 0, err
	}
	return 100 * (after - before).Seconds() / time.Since(start).Seconds(), nil
}

func scrape(base string) (int, error) {
	resp, err := http.Get(base + "/v1/metrics")
	if err != nil {
		return 0, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scrape: status %d", resp.StatusCode)
	}
	return int(n), err
}

// treeCPU sums user+system time of pid and its descendants (driver
// plugins), from /proc.
func treeCPU(root int) (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	parent := map[int]int{}
	ticks := map[int]uint64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// Fields after the command name, which may hold spaces.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseUint(f[11], 10, 64)
		st, _ := strconv.ParseUint(f[12], 10, 64)
		parent[pid], ticks[pid] = ppid, ut+st
	}
	if _, ok := ticks[root]; !ok {
		return 0, errors.New("the agent process is gone")
	}
	var total uint64
	for pid, t := range ticks {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				total += t
				break
			}
		}
	}
	const hz = 100 // USER_HZ on Linux
	return time.Duration(total) * time.Second / hz, nil
}

func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/v1/agent/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if !ctxsleep.Sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return errors.New("the dev agent did not become healthy within 60s")
}

func freePorts(n int) ([]int, error) {
	var out []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
