package command

import (
	"os"
	"runtime"
	"strconv"

	"github.com/hashicorp/go-hclog"
)

// defaultProxyProcs is -max-procs when the flag is not given: $GOMAXPROCS
// when it is set (the runtime has already applied it), else 1.
//
// One P is the default because a sidecar's typical connection is one
// request/response at a time: with more Ps, the goroutine the netpoller
// wakes for each hop is often handed to another OS thread (a futex wake
// and a spinning M), which scripts/bench/mesh.sh measured as a few µs per
// round trip and ~15% of one connection's req/s on a 2-core machine.
func defaultProxyProcs() int {
	if v, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && v > 0 {
		return v
	}
	return 1
}

// setProxyProcs applies -max-procs; 0 means every CPU.
func setProxyProcs(n int, logger hclog.Logger) {
	if n == 0 {
		n = runtime.NumCPU()
	}
	if prev := runtime.GOMAXPROCS(n); prev != n {
		logger.Debug("GOMAXPROCS set", "procs", n, "was", prev)
	}
}
