// Command clientrestart kills a client agent with SIGKILL and restarts it,
// over and over, while it runs tasks, and checks after every cycle that
// nothing leaked and every task came back: the task processes (and
// containers) are exactly the desired ones, no orphan and no duplicate;
// the driver plugins are the same few and their open fds do not grow; the
// agent's goroutines and fds do not grow from one run to the next; no
// cgroup of a dead allocation and no mount under the data dir is left.
//
// A server agent and a client-only agent run as separate processes; only
// the client is killed. Jobs: a service job of exec tasks, one of raw_exec
// tasks and, where a Docker engine answers, one of docker tasks (an image
// built FROM scratch). Some cycles add a fault while the agent is down: a
// task process killed (its restart policy must start it again), the
// driver plugins killed (the new plugins must recover the tasks), or a
// second kill while the agent is still restoring.
//
//	go run ./scripts/faults/clientrestart -bin bin/appmesh -cycles 1000
//
// Exit status: 0 when every cycle held, 1 when one did not (the first
// failure ends the run, with the agent logs kept), 2 on bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() { os.Exit(cli()) }

func cli() int {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/appmesh", "the appmesh binary")
	flag.IntVar(&o.cycles, "cycles", 1000, "kill -9/restart cycles of the client agent")
	flag.Int64Var(&o.seed, "seed", 0, "random seed (0: from the clock; printed)")
	flag.StringVar(&o.dir, "dir", "", "work directory (default: a new temporary one, removed after a passing run)")
	flag.BoolVar(&o.noDocker, "no-docker", false, "leave out the docker job even if an engine answers")
	flag.IntVar(&o.taskKillEvery, "task-kill-every", 10, "every Nth cycle also kills a task process while the agent is down (0: never)")
	flag.IntVar(&o.pluginKillEvery, "plugin-kill-every", 25, "every Nth cycle also kills the driver plugins while the agent is down (0: never)")
	flag.IntVar(&o.earlyKillEvery, "early-kill-every", 7, "every Nth cycle kills the restarted agent again while it restores (0: never)")
	flag.DurationVar(&o.maxUptime, "max-uptime", time.Second, "the agent is killed at a random moment up to this long after its tasks are back")
	flag.Parse()
	if o.cycles < 1 || o.taskKillEvery < 0 || o.pluginKillEvery < 0 || o.earlyKillEvery < 0 || o.maxUptime < 0 {
		fmt.Fprintln(os.Stderr, "clientrestart: -cycles must be at least 1; the -*-every flags and -max-uptime at least 0")
		return 2
	}
	bin, err := filepath.Abs(o.bin)
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "clientrestart: binary %s: %v (run `make build` first)\n", o.bin, err)
		return 2
	}
	o.bin = bin
	o.log = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, o)
	fmt.Println(res.summary())
	if err != nil {
		fmt.Fprintf(os.Stderr, "clientrestart: %v\n", err)
		return 1
	}
	return 0
}
