package command

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/hashicorp/go-hclog"
)

// setProxyProcs applies -max-procs when it is set (n > 0).
//
// Why one P can be the better size: with one P, a one-connection
// request/response round trip through the pair is shorter, because the
// goroutine the netpoller wakes for each hop runs on the same OS thread
// instead of being handed to another (a futex wake and a spinning thread
// competing for the cores); scripts/bench/mesh.sh measured ~30% more req/s
// on one connection. Over 100 busy connections the same run measured ~11%
// fewer req/s, as they then share one CPU for their TLS. With no
// -max-procs and no $GOMAXPROCS the proxy picks between the two as its
// connections come and go (procsGovernor).
func setProxyProcs(n int, logger hclog.Logger) {
	if n <= 0 {
		return
	}
	if prev := runtime.GOMAXPROCS(n); prev != n {
		logger.Debug("GOMAXPROCS set", "procs", n, "was", prev)
	}
}

// Thresholds of the adaptive GOMAXPROCS, in open connections. The gap
// between them and procsHold keep a count that hovers around one value
// from switching back and forth (each switch stops the world briefly).
const (
	procsFew     = 2                // at or under: one P is enough
	procsMany    = 4                // over: the runtime's default
	procsHold    = 10 * time.Second // at or under procsFew this long before going back to one P
	procsPoll    = 100 * time.Millisecond
	procsOneP    = 1
	procsDefault = 0 // runtime.SetDefaultGOMAXPROCS: the CPUs the process may use, following its limit
)

// procsGovernor sizes the Go runtime on the proxy's open connections: one
// P while it holds a few, the runtime's default when it holds more.
type procsGovernor struct {
	mode     int       // procsOneP or procsDefault
	lowSince time.Time // when the count last fell to procsFew or under (zero: it is above)
}

// next is the mode for open connections at now; a pure step, so that the
// hysteresis can be tested without a clock.
func (g *procsGovernor) next(open int, now time.Time) int {
	switch {
	case open > procsMany:
		g.lowSince = time.Time{}
		return procsDefault
	case open > procsFew:
		g.lowSince = time.Time{}
		return g.mode
	case g.mode == procsOneP:
		return procsOneP
	case g.lowSince.IsZero():
		g.lowSince = now
	case now.Sub(g.lowSince) >= procsHold:
		g.lowSince = time.Time{}
		return procsOneP
	}
	return g.mode
}

// adaptProxyProcs runs the governor until ctx ends, unless the size is
// fixed: by -max-procs, by $GOMAXPROCS, or by a single CPU.
func adaptProxyProcs(ctx context.Context, maxProcs int, open func() int, logger hclog.Logger) {
	if maxProcs > 0 || os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) <= 1 {
		return
	}
	g := &procsGovernor{mode: procsOneP}
	apply := func(mode int) {
		if mode == procsOneP {
			runtime.GOMAXPROCS(1)
		} else {
			runtime.SetDefaultGOMAXPROCS()
		}
		logger.Debug("GOMAXPROCS adapted to open connections", "procs", runtime.GOMAXPROCS(0), "open", open())
	}
	apply(g.mode)
	defer runtime.SetDefaultGOMAXPROCS()
	tick := time.NewTicker(procsPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if m := g.next(open(), now); m != g.mode {
				g.mode = m
				apply(m)
			}
		}
	}
}
