package command

import (
	"runtime"

	"github.com/hashicorp/go-hclog"
)

// setProxyProcs applies -max-procs. 0 leaves the Go runtime's own choice
// ($GOMAXPROCS, else the CPUs the process may use, updated as its limit
// changes) alone.
//
// Why the knob exists: with one P, a one-connection request/response round
// trip through the pair is shorter, because the goroutine the netpoller
// wakes for each hop runs on the same OS thread instead of being handed to
// another (a futex wake and a spinning thread competing for the cores);
// scripts/bench/mesh.sh measured ~30% more req/s on one connection. It is
// not the default because the same run measured ~11% fewer req/s over 100
// busy connections, which then share one CPU for their TLS.
func setProxyProcs(n int, logger hclog.Logger) {
	if n <= 0 {
		return
	}
	if prev := runtime.GOMAXPROCS(n); prev != n {
		logger.Debug("GOMAXPROCS set", "procs", n, "was", prev)
	}
}
