package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
)

// cmdForward is the floor of the benchmark: a plain TCP forwarder with no
// TLS, no identity and no policy. Two of them in a row are the cheapest
// pair of hops a sidecar pair can add: what such a pair loses against the
// direct connection on this machine, no mesh proxy pair can win back.
//
// -copy read moves the bytes through a buffer with read(2) and write(2),
// as any proxy that encrypts them must. -copy splice moves them with
// splice(2) and never sees them (io.Copy between two *net.TCPConn); it was
// the cheaper of the two with an echo server and in bulk, and level with
// a service time (performance.md).
//
// client/bridgenet's port forwarder is the same relay in splice mode, but
// it is the client's, unexported, and has no read mode.
func cmdForward(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("forward", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	to := fs.String("to", "", "address to forward every connection to")
	mode := fs.String("copy", "read", "how to move the bytes: read (through a buffer) or splice")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *to == "" {
		return usageError{"-to is required: the address to forward to"}
	}
	if *mode != "read" && *mode != "splice" {
		return usageError{fmt.Sprintf("-copy %q: want read or splice", *mode)}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	fmt.Fprintf(os.Stderr, "meshbench forward: %s -> %s (%s)\n", ln.Addr(), *to, *mode)
	return forward(ctx, ln, *to, *mode == "splice")
}

// forward relays every connection of ln to the address to until ctx ends,
// then closes the listener and the open connections and waits for their
// goroutines.
func forward(ctx context.Context, ln net.Listener, to string, splice bool) error {
	var d net.Dialer
	return acceptLoop(ctx, ln, func(g *connGroup, down net.Conn) {
		up, err := d.DialContext(g.ctx, "tcp", to)
		if err != nil {
			if g.ctx.Err() == nil {
				fmt.Fprintf(os.Stderr, "meshbench forward: dial %s: %v\n", to, err)
			}
			return
		}
		if !g.hold(up) {
			up.Close()
			return
		}
		defer g.release(up)
		relay(down.(*net.TCPConn), up.(*net.TCPConn), splice)
	})
}

// relay copies both ways until both directions end, passing each
// half-close on.
func relay(a, b *net.TCPConn, splice bool) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		copyHalfTCP(b, a, splice)
	}()
	copyHalfTCP(a, b, splice)
	wg.Wait()
}

func copyHalfTCP(dst, src *net.TCPConn, splice bool) {
	var err error
	if splice {
		// TCPConn.ReadFrom splices from a TCP source.
		_, err = io.Copy(dst, src)
	} else {
		// Hiding src's WriterTo and dst's ReaderFrom keeps io.CopyBuffer
		// on the plain read/write loop.
		_, err = io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, make([]byte, 32<<10))
	}
	if err != nil {
		// A reset on one side (or the forwarder stopping) ends both: the
		// other copy sees them closed.
		src.Close()
		dst.Close()
		return
	}
	dst.CloseWrite()
}
