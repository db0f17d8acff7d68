package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"time"
)

func cmdServe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	delay := fs.Duration("delay", 0, "service time: wait this long before each response")
	jitter := fs.Duration("jitter", 0, "spread the service time evenly over -delay ± this")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *delay < 0 {
		return usageError{"-delay must not be negative"}
	}
	if *jitter < 0 || *jitter > *delay {
		return usageError{"-jitter must be between 0 and -delay"}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	fmt.Fprintf(os.Stderr, "meshbench serve: listening on %s\n", ln.Addr())
	return serve(ctx, ln, serviceTime{mean: *delay, jitter: *jitter})
}

// serviceTime is how long the server waits before each response: mean,
// or with a jitter, evenly spread over mean ± jitter, so that the
// connections of a closed loop do not stay in step.
type serviceTime struct{ mean, jitter time.Duration }

func (st serviceTime) next() time.Duration {
	if st.jitter <= 0 {
		return st.mean
	}
	return st.mean - st.jitter + rand.N(2*st.jitter+1)
}

// serve answers every connection of ln until ctx ends, then closes the
// listener and the open connections and waits for their goroutines. A
// delay makes each request/response take at least that long, like a
// service that does some work: the load is then no longer bound by the CPU
// of the machine, and a proxy's loss of throughput shows whether it keeps
// up rather than how much CPU it takes from the load generator.
func serve(ctx context.Context, ln net.Listener, delay serviceTime) error {
	return acceptLoop(ctx, ln, func(g *connGroup, c net.Conn) {
		if err := handle(c, delay); err != nil && !errors.Is(err, io.EOF) && g.ctx.Err() == nil {
			fmt.Fprintf(os.Stderr, "meshbench serve: %s: %v\n", c.RemoteAddr(), err)
		}
	})
}

// handle speaks the protocol of wire.go on one connection. A client that
// closes between requests ends it with io.EOF, which is not an error.
func handle(c net.Conn, delay serviceTime) error {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	h, err := readHello(c)
	if err != nil {
		return err
	}
	resp := make([]byte, h.RespSize)
	for i := range resp {
		resp[i] = byte(i)
	}
	if h.Mode == modeBulk {
		for {
			if _, err := c.Write(resp); err != nil {
				return nil // the client closed: the end of a bulk run
			}
		}
	}
	req := make([]byte, h.ReqSize)
	for {
		if _, err := io.ReadFull(c, req); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return io.EOF
			}
			return fmt.Errorf("read request: %w", err)
		}
		if d := delay.next(); d > 0 {
			time.Sleep(d)
		}
		if _, err := c.Write(resp); err != nil {
			return fmt.Errorf("write response: %w", err)
		}
	}
}
