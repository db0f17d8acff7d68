package bridgenet

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// forwarder accepts TCP connections on a host port and copies each to the
// allocation's address. It is userspace (no iptables rules to leak), at
// the price that the task sees the bridge's address as the peer.
type forwarder struct {
	ln     net.Listener
	target string
	logger hclog.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startForwarder listens on hostIP:hostPort and forwards to target.
func startForwarder(hostIP string, hostPort int, target string, logger hclog.Logger) (*forwarder, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(hostIP, strconv.Itoa(hostPort)))
	if err != nil {
		return nil, err
	}
	return serveForwarder(ln, target, logger), nil
}

// serveForwarder forwards the connections ln accepts to target, dialled
// from the agent's own namespace.
func serveForwarder(ln net.Listener, target string, logger hclog.Logger) *forwarder {
	ctx, cancel := context.WithCancel(context.Background())
	f := &forwarder{ln: ln, target: target, logger: logger, cancel: cancel}
	f.wg.Add(1)
	go f.accept(ctx)
	return f
}

func (f *forwarder) accept(ctx context.Context) {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				f.logger.Warn("port forwarder stopped accepting", "listen", f.ln.Addr().String(), "error", err)
			}
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.pipe(ctx, c)
		}()
	}
}

// pipe copies both ways until either side closes or the forwarder stops.
func (f *forwarder) pipe(ctx context.Context, c net.Conn) {
	defer c.Close()
	d := net.Dialer{Timeout: 10 * time.Second}
	up, err := d.DialContext(ctx, "tcp", f.target)
	if err != nil {
		f.logger.Debug("port forwarder cannot reach the allocation", "target", f.target, "error", err)
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(up, c)
	go cp(c, up)
	for range 2 {
		select {
		case <-done:
		case <-ctx.Done():
			// Closing both ends ends the copies; wait for them below.
			c.Close()
			up.Close()
		}
	}
}

// close stops listening, cuts the open connections and waits for them.
func (f *forwarder) close() {
	f.cancel()
	f.ln.Close()
	f.wg.Wait()
}
