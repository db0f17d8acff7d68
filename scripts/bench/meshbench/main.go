// Command meshbench measures what a service mesh proxy pair costs a TCP
// service: latency added per request and throughput lost, against a direct
// connection. scripts/bench/mesh.sh runs it against a direct connection,
// Consul's built-in proxy and appmesh's proxy, one after the other, and
// prints the three side by side.
//
//	meshbench serve  -addr 127.0.0.1:9000                 # the echo server
//	meshbench run    -addr 127.0.0.1:9000 -label direct -json direct.json
//	meshbench report direct.json consul.json appmesh.json # the table
//	meshbench certs  -dir DIR -service-addr ... -upstream-addr ... -inbound-addr ...
//	meshbench ports  3                                    # free loopback ports
//	meshbench probe  -addr 127.0.0.1:9001 -timeout 30s    # wait for a path to work
//	meshbench forward -listen 127.0.0.1:9002 -to 127.0.0.1:9000 # a plain TCP hop
//
// Exit status: 0 on success, 1 when a run failed, 2 on bad usage.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: meshbench <serve|run|report|certs|ports|probe|forward> [flags]
  serve   the echo server every leg talks to
  run     the load of one leg (request/response at each -conns, then bulk)
  report  the side-by-side table of the legs' JSON results
  certs   a throwaway CA, two leaves and the two appmesh proxy configs
  ports   N free loopback TCP ports, one a line
  probe   wait until one request/response through -addr works
  forward a plain TCP forwarder (no TLS; -copy read or splice): two in a row are the floor`

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmds := map[string]func(context.Context, []string) error{
		"serve":   cmdServe,
		"run":     cmdRun,
		"report":  cmdReport,
		"certs":   cmdCerts,
		"ports":   cmdPorts,
		"probe":   cmdProbe,
		"forward": cmdForward,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	if err := cmd(ctx, args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "meshbench %s: %v\n", args[0], err)
		if _, bad := err.(usageError); bad {
			return 2
		}
		return 1
	}
	return 0
}

// usageError is a mistake in the flags (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
