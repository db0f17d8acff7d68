package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// cmdPorts prints free loopback ports. They are held open together until
// all are picked, so that the N are distinct; another process may still
// take one before the caller binds it, which a loopback benchmark accepts.
func cmdPorts(_ context.Context, args []string) error {
	n := 1
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 || v > 100 {
			return usageError{"usage: meshbench ports N (1..100)"}
		}
		n = v
	}
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("pick a free port: %w", err)
		}
		lns = append(lns, l)
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// cmdProbe waits until one request/response through -addr works end to
// end: a proxy pair is ready only once its upstream can reach the server.
func cmdProbe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	addr := fs.String("addr", "", "the address to probe")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *addr == "" {
		return usageError{"-addr is required"}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = probeOnce(ctx, *addr); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: %w", *addr, *timeout, last)
		case <-tick.C:
		}
	}
}

func probeOnce(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	h := hello{Mode: modeRR, ReqSize: 16, RespSize: 16}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(append(h.marshal(), make([]byte, 16)...)); err != nil {
		return err
	}
	_, err = io.ReadFull(c, make([]byte, 16))
	return err
}
