package proxy

import (
	"context"
	"io"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/mesh/intention"
)

// tracked is one proxied connection: the side that opened it (down) and
// the side the proxy dialed (up).
type tracked struct {
	down, up net.Conn
	// src is the caller of an inbound connection, for re-checking
	// intentions when they change.
	src intention.Service
}

func (t *tracked) close() {
	_ = t.down.Close()
	if t.up != nil {
		_ = t.up.Close()
	}
}

// connSet holds the open connections of one listener, so they can be
// closed on a deny, waited for on a drain, and closed on Close.
type connSet struct {
	mu sync.Mutex
	m  map[*tracked]struct{}
}

func (s *connSet) add(t *tracked) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[*tracked]struct{}{}
	}
	s.m[t] = struct{}{}
}

// track adds t to s unless the proxy is stopping, in which case it
// closes t. Shutdown cancels the context before its last closeAll, so a
// connection is either seen by that closeAll or sees the cancellation.
func (p *Proxy) track(s *connSet, t *tracked) bool {
	s.add(t)
	if p.ctx.Err() != nil {
		s.remove(t)
		t.close()
		return false
	}
	return true
}

func (s *connSet) remove(t *tracked) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, t)
}

func (s *connSet) snapshot() []*tracked {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*tracked, 0, len(s.m))
	for t := range s.m {
		out = append(out, t)
	}
	return out
}

func (s *connSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func (s *connSet) closeAll() {
	for _, t := range s.snapshot() {
		t.close()
	}
}

// wait returns when no connection is open or ctx is done, then closes
// whatever is left.
func (s *connSet) wait(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for s.len() > 0 {
		select {
		case <-ctx.Done():
			s.closeAll()
			return
		case <-tick.C:
		}
	}
}

// countingWriter adds every write to a counter, so long connections show
// their bytes while they are open rather than when they end.
type countingWriter struct {
	w io.Writer
	c prometheus.Counter
}

func (cw countingWriter) Write(b []byte) (int, error) {
	n, err := cw.w.Write(b)
	cw.c.Add(float64(n))
	return n, err
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32*1024); return &b }}

// closeWriter is a connection that can half-close (TCP and TLS).
type closeWriter interface{ CloseWrite() error }

// splice copies both ways until both directions end, half-closing each
// side when the other stops sending, then closes both.
func (p *Proxy) splice(t *tracked, dir, upstream string) {
	recv := p.m.bytesReceived.WithLabelValues(dir, upstream)
	sent := p.m.bytesSent.WithLabelValues(dir, upstream)
	done := make(chan struct{})
	go func() {
		defer close(done)
		copyHalf(countingWriter{t.up, recv}, t.down, t.up)
	}()
	copyHalf(countingWriter{t.down, sent}, t.up, t.down)
	<-done
	t.close()
}

func copyHalf(dst io.Writer, src net.Conn, dstConn net.Conn) {
	bp := copyBufs.Get().(*[]byte)
	// readOnly hides *net.TCPConn's WriterTo: io.CopyBuffer would hand
	// the copy to it, and its generic path (no splice to a countingWriter)
	// allocates a fresh 32 KiB buffer per connection instead of the pooled
	// one.
	_, err := io.CopyBuffer(dst, readOnly{src}, *bp)
	copyBufs.Put(bp)
	if cw, ok := dstConn.(closeWriter); ok && err == nil {
		_ = cw.CloseWrite()
		return
	}
	// An error on one side ends the whole connection.
	_ = src.Close()
	_ = dstConn.Close()
}

// readOnly is a reader and nothing else (see copyHalf).
type readOnly struct{ r io.Reader }

func (r readOnly) Read(b []byte) (int, error) { return r.r.Read(b) }

// countingConn counts the bytes of a connection the HTTP servers own
// (L7), where there is no splice to count them.
type countingConn struct {
	net.Conn
	recv, sent prometheus.Counter
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.recv.Add(float64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.sent.Add(float64(n))
	return n, err
}

// countingListener wraps every accepted connection in a countingConn.
type countingListener struct {
	net.Listener
	recv, sent prometheus.Counter
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, recv: l.recv, sent: l.sent}, nil
}

// acceptBackoff waits after a failed Accept (out of file descriptors, say)
// so the listener lives on instead of spinning or dying; false when the
// proxy is stopping.
func (p *Proxy) acceptBackoff(delay *time.Duration, err error, listener string) bool {
	*delay = min(max(2**delay, 5*time.Millisecond), time.Second)
	p.logger.Error("accept failed; retrying", "listener", listener, "error", err, "retry_in", *delay)
	return ctxsleep.Sleep(p.ctx, *delay)
}
