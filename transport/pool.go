package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/yamux"
)

// DialTimeout bounds connecting to a server.
const DialTimeout = 5 * time.Second

// StreamHandler serves a stream the remote side opened on one of our
// sessions (servers use this to reach a client).
type StreamHandler func(kind byte, stream net.Conn)

// Pool keeps one yamux session per server address and opens a stream per
// call. It is safe for concurrent use.
type Pool struct {
	logger hclog.Logger
	// OnSession, if set, is called once for each new session, e.g. so a
	// client can announce itself on it.
	OnSession func(addr string, s *yamux.Session)
	// Handler, if set, serves streams the remote side opens.
	Handler StreamHandler
	// Handshake, if set, proves the join token on every new session
	// (servers dialing servers); nil dials plain sessions (clients).
	Handshake *Handshake
	// TLS, if set, runs mutual TLS on every new connection before
	// anything else is sent (tls.go).
	TLS TLSDialer

	mu       sync.Mutex
	sessions map[string]*yamux.Session
	dialing  map[string]chan struct{}
	closed   bool
}

// NewPool returns an empty pool.
func NewPool(logger hclog.Logger) *Pool {
	return &Pool{logger: logger.Named("pool"), sessions: map[string]*yamux.Session{}, dialing: map[string]chan struct{}{}}
}

// YamuxConfig is the session configuration shared by both ends.
func YamuxConfig() *yamux.Config {
	c := yamux.DefaultConfig()
	c.LogOutput = io.Discard
	c.Logger = nil
	c.EnableKeepAlive = true
	c.KeepAliveInterval = 5 * time.Second
	c.ConnectionWriteTimeout = 10 * time.Second
	return c
}

// session returns a live session to addr, dialing once when needed.
func (p *Pool) session(ctx context.Context, addr string) (*yamux.Session, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errors.New("connection pool is closed")
		}
		if s, ok := p.sessions[addr]; ok && !s.IsClosed() {
			p.mu.Unlock()
			return s, nil
		}
		if wait, ok := p.dialing[addr]; ok {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		done := make(chan struct{})
		p.dialing[addr] = done
		p.mu.Unlock()

		s, err := p.dial(ctx, addr)
		p.mu.Lock()
		delete(p.dialing, addr)
		close(done)
		if err == nil {
			p.sessions[addr] = s
		}
		p.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if p.OnSession != nil {
			p.OnSession(addr, s)
		}
		if p.Handler != nil {
			go AcceptStreams(s, p.Handler, p.logger)
		}
		return s, nil
	}
}

func (p *Pool) dial(ctx context.Context, addr string) (*yamux.Session, error) {
	d := net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if conn, err = upgrade(ctx, p.TLS, conn); err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if p.Handshake != nil {
		if _, err := p.Handshake.Dial(conn, ConnRPC); err != nil {
			conn.Close()
			return nil, fmt.Errorf("dial %s: %w", addr, err)
		}
	} else if _, err := conn.Write([]byte{ConnRPC}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	s, err := yamux.Client(conn, YamuxConfig())
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("start session with %s: %w", addr, err)
	}
	return s, nil
}

// OpenStream opens a stream of the given kind to addr.
func (p *Pool) OpenStream(ctx context.Context, addr string, kind byte) (net.Conn, error) {
	s, err := p.session(ctx, addr)
	if err != nil {
		return nil, err
	}
	st, err := s.OpenStream()
	if err != nil {
		p.drop(addr, s)
		return nil, fmt.Errorf("open stream to %s: %w", addr, err)
	}
	if _, err := st.Write([]byte{kind}); err != nil {
		st.Close()
		p.drop(addr, s)
		return nil, fmt.Errorf("open stream to %s: %w", addr, err)
	}
	return st, nil
}

// RPC calls method on the server at addr. Errors returned by the remote
// endpoint are rpc.ServerError; anything else is a connection problem.
func (p *Pool) RPC(ctx context.Context, addr, method string, args, reply any) error {
	st, err := p.OpenStream(ctx, addr, StreamRPC)
	if err != nil {
		return err
	}
	defer st.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = st.SetDeadline(dl)
	}
	stop := CloseOnDone(ctx, st)
	defer stop()
	if err := callOnStream(st, method, args, reply); err != nil {
		var se rpc.ServerError
		if errors.As(err, &se) {
			return se
		}
		if ctx.Err() != nil {
			return fmt.Errorf("rpc %s to %s: %w", method, addr, ctx.Err())
		}
		return fmt.Errorf("rpc %s to %s: %w", method, addr, err)
	}
	return nil
}

// IsServerError reports whether err came from the remote endpoint (as
// opposed to the network).
func IsServerError(err error) bool {
	var se rpc.ServerError
	return errors.As(err, &se)
}

func (p *Pool) drop(addr string, s *yamux.Session) {
	p.mu.Lock()
	if cur, ok := p.sessions[addr]; ok && cur == s {
		delete(p.sessions, addr)
	}
	p.mu.Unlock()
	// Closed outside the lock and in the background: yamux's Session.Close
	// can block on a wedged session's streams, and it must never stall the
	// other callers of the pool. The TCP connection is closed at once
	// inside Close, so the peer sees the session end without waiting.
	go s.Close()
}

// sessionCloseWait bounds how long Close waits for sessions to finish
// closing before it returns (their connections are closed at once).
const sessionCloseWait = 5 * time.Second

// Close closes every session, waiting at most sessionCloseWait for them:
// a server shutting down must go on to stop Raft even if a session hangs.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	sessions := make([]*yamux.Session, 0, len(p.sessions))
	for addr, s := range p.sessions {
		sessions = append(sessions, s)
		delete(p.sessions, addr)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() { defer wg.Done(); s.Close() }()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(sessionCloseWait):
		p.logger.Warn("sessions still closing after shutdown wait", "wait", sessionCloseWait)
	}
}

// AcceptStreams serves the streams the remote end of s opens, reading each
// stream's kind byte first, until the session closes.
func AcceptStreams(s *yamux.Session, h StreamHandler, logger hclog.Logger) {
	for {
		st, err := s.AcceptStream()
		if err != nil {
			return
		}
		go func() {
			var kind [1]byte
			_ = st.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(st, kind[:]); err != nil {
				st.Close()
				return
			}
			_ = st.SetReadDeadline(time.Time{})
			h(kind[0], st)
		}()
	}
}
