package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// upstream is one outbound listener: plain TCP from the local task on
// LocalBindAddr, mTLS to an instance of the destination.
type upstream struct {
	p     *Proxy
	name  string // the destination's name: the metrics label
	ln    net.Listener
	snap  atomic.Pointer[upSnap]
	rr    atomic.Uint64
	br    breakers
	conns connSet
	done  chan struct{} // closed when the accept loop has returned
	// L7 only.
	http      *http.Server
	transport *http.Transport
}

func (p *Proxy) listenUpstream(cfg *structs.MeshUpstreamConfig) (*upstream, error) {
	ln, err := net.Listen("tcp", bindAddr(cfg.LocalBindAddr))
	if err != nil {
		return nil, fmt.Errorf("upstream %s: %w", cfg.DestinationName, err)
	}
	u := &upstream{p: p, name: cfg.DestinationName, ln: ln, done: make(chan struct{})}
	u.update(cfg)
	p.wg.Add(1)
	if cfg.Protocol == ProtocolHTTP {
		u.startHTTP()
	} else {
		go func() {
			defer p.wg.Done()
			u.acceptLoop()
		}()
	}
	p.logger.Info("upstream listener open", "upstream", u.name, "addr", ln.Addr().String(), "protocol", cfg.Protocol)
	return u, nil
}

func (u *upstream) update(cfg *structs.MeshUpstreamConfig) {
	u.snap.Store(newUpSnap(cfg, u.p.certs.Load().trustDomain))
}

func (u *upstream) acceptLoop() {
	defer close(u.done)
	var delay time.Duration
	for {
		c, err := u.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !u.p.acceptBackoff(&delay, err, u.name) {
				return
			}
			continue
		}
		delay = 0
		u.p.wg.Add(1)
		go func() {
			defer u.p.wg.Done()
			u.handle(c)
		}()
	}
}

func (u *upstream) handle(down net.Conn) {
	p := u.p
	p.m.connsTotal.WithLabelValues(dirOutbound, u.name).Inc()
	up, err := u.dialAny(p.ctx, "")
	if err != nil {
		p.logger.Warn("no upstream instance reachable", "upstream", u.name, "error", err)
		_ = down.Close()
		return
	}
	t := &tracked{down: down, up: up}
	if !p.track(&u.conns, t) {
		return
	}
	active := p.m.connsActive.WithLabelValues(dirOutbound, u.name)
	p.opened(active)
	p.splice(t, dirOutbound, u.name)
	p.closedConn(active)
	u.conns.remove(t)
}

// maxDialAttempts bounds how many instances one connection tries.
const maxDialAttempts = 3

// dialAny dials an instance of subset ("" draws one by weight), trying
// others when a dial fails.
func (u *upstream) dialAny(ctx context.Context, subset string) (net.Conn, error) {
	snap := u.snap.Load()
	cands := snap.candidates(subset)
	tried := map[string]bool{}
	var errs []error
	for range maxDialAttempts {
		inst := pick(cands, &u.rr, &u.br, tried)
		if inst == nil {
			break
		}
		addr := instAddr(inst)
		tried[addr] = true
		c, err := u.dial(ctx, snap, addr)
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("upstream %s has no instance", u.name)
	}
	return nil, errors.Join(errs...)
}

// dialError marks a failure to reach an instance (nothing was sent), which
// is always safe to retry elsewhere.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// dial opens an mTLS connection to one instance and checks that it is who
// the config says it is. Failures feed the instance's circuit breaker.
func (u *upstream) dial(ctx context.Context, snap *upSnap, addr string) (net.Conn, error) {
	p := u.p
	timeout := time.Duration(snap.cfg.ConnectTimeout)
	if timeout <= 0 {
		timeout = defaultConnectTimeout
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nd := net.Dialer{}
	raw, err := nd.DialContext(dctx, "tcp", addr)
	if err != nil {
		u.failed(addr)
		return nil, &dialError{fmt.Errorf("dial %s: %w", addr, err)}
	}
	tc := tls.Client(raw, p.clientTLS(snap.expectedID(addr)))
	if err := tc.HandshakeContext(dctx); err != nil {
		_ = raw.Close()
		p.m.handshakeFails.WithLabelValues(dirOutbound, u.name).Inc()
		u.failed(addr)
		return nil, &dialError{fmt.Errorf("mTLS handshake with %s: %w", addr, err)}
	}
	u.br.success(addr)
	return tc, nil
}

func (u *upstream) failed(addr string) {
	u.p.m.connectFailures.WithLabelValues(u.name).Inc()
	u.breakerFail(addr)
}

// breakerFail counts one failure of an instance (a dial or a 5xx).
func (u *upstream) breakerFail(addr string) {
	if u.br.failure(addr, time.Now()) {
		u.p.m.ejections.WithLabelValues(u.name).Inc()
		u.p.logger.Warn("upstream instance ejected by the circuit breaker", "upstream", u.name, "addr", addr)
	}
}

// close stops accepting and closes every connection.
func (u *upstream) close() {
	_ = u.ln.Close()
	if u.http != nil {
		_ = u.http.Close()
		u.transport.CloseIdleConnections()
	}
	u.conns.closeAll()
}

// drain stops accepting and waits for open connections until ctx is done.
func (u *upstream) drain(ctx context.Context) {
	if u.http != nil {
		go func() {
			<-ctx.Done()
			_ = u.http.Close()
		}()
		_ = u.http.Shutdown(ctx)
		u.transport.CloseIdleConnections()
		return
	}
	_ = u.ln.Close()
	<-u.done
	u.conns.wait(ctx)
}
