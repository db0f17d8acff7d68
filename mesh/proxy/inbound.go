package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/appmesh/appmesh/mesh/intention"
	"github.com/appmesh/appmesh/structs"
)

// inbound is the mTLS listener other proxies dial. Every connection is
// handshaken here; an L4 one is checked against intentions and spliced to
// the task, an L7 one is handed to an HTTP server that checks every
// request.
type inbound struct {
	p     *Proxy
	addr  string // as configured, to tell whether an Update moves it
	ln    net.Listener
	conns connSet
	// http serves the L7 connections, fed through httpLn.
	http   *http.Server
	httpLn *chanListener
	done   chan struct{} // closed when the accept loop has returned
}

func (p *Proxy) listenInbound(addr string) (*inbound, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	in := &inbound{p: p, addr: addr, ln: ln, done: make(chan struct{}),
		httpLn: newChanListener(ln.Addr())}
	in.http = p.newInboundHTTP()
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		err := in.http.Serve(in.httpLn)
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			p.logger.Error("inbound HTTP server stopped", "error", err)
		}
	}()
	go func() {
		defer p.wg.Done()
		in.acceptLoop()
	}()
	p.logger.Info("inbound listener open", "addr", ln.Addr().String())
	return in, nil
}

func (in *inbound) acceptLoop() {
	defer close(in.done)
	var delay time.Duration
	for {
		c, err := in.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || !in.p.acceptBackoff(&delay, err, "inbound") {
				return
			}
			continue
		}
		delay = 0
		in.p.wg.Add(1)
		go func() {
			defer in.p.wg.Done()
			in.handle(c)
		}()
	}
}

func (in *inbound) handle(raw net.Conn) {
	p := in.p
	p.m.connsTotal.WithLabelValues(dirInbound, "").Inc()
	cfg := p.cfg.Load()
	if cfg.Protocol == ProtocolHTTP {
		// L7 has no splice to count bytes: count them on the wire.
		raw = &countingConn{Conn: raw, recv: p.m.bytesReceived.WithLabelValues(dirInbound, ""),
			sent: p.m.bytesSent.WithLabelValues(dirInbound, "")}
	}
	tc := tls.Server(raw, p.serverTLS())
	hctx, cancel := context.WithTimeout(p.ctx, handshakeTimeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		p.m.handshakeFails.WithLabelValues(dirInbound, "").Inc()
		log := p.logger.Warn
		if errors.Is(err, io.EOF) {
			// A TCP health check that connects and leaves: not news.
			log = p.logger.Debug
		}
		log("inbound mTLS handshake refused", "remote", raw.RemoteAddr().String(), "error", err)
		_ = raw.Close()
		return
	}
	if cfg.Protocol == ProtocolHTTP {
		// The HTTP server owns it now and checks each request.
		if !in.httpLn.deliver(tc) {
			_ = tc.Close()
		}
		return
	}
	id, _ := peerID(tc.ConnectionState())
	d, src, err := decide(cfg, id)
	if err != nil || !d.Allow {
		p.m.denials.WithLabelValues("tcp").Inc()
		p.logger.Info("inbound connection denied", "source", id, "destination", self(cfg).String(), "reason", d.String(), "error", err)
		_ = tc.Close()
		return
	}
	up, err := dialLocal(p.ctx, cfg.LocalServiceAddr)
	if err != nil {
		p.logger.Warn("local service unreachable", "addr", cfg.LocalServiceAddr, "error", err)
		_ = tc.Close()
		return
	}
	t := &tracked{down: tc, up: up, src: src}
	if !p.track(&in.conns, t) {
		return
	}
	active := p.m.connsActive.WithLabelValues(dirInbound, "")
	p.opened(active)
	// An Update that raced with this connection's check is caught here.
	if in.denied(p.cfg.Load(), t) {
		t.close()
	}
	p.splice(t, dirInbound, "")
	p.closedConn(active)
	in.conns.remove(t)
}

func (in *inbound) denied(cfg *structs.MeshProxyConfig, t *tracked) bool {
	return !intention.Decide(cfg.Intentions, t.src, self(cfg), cfg.DefaultAllow).Allow
}

// enforce closes open L4 connections whose caller cfg now denies.
func (in *inbound) enforce(cfg *structs.MeshProxyConfig) {
	for _, t := range in.conns.snapshot() {
		if in.denied(cfg, t) {
			in.p.m.denials.WithLabelValues("tcp").Inc()
			in.p.logger.Info("closing inbound connection denied by a changed intention",
				"source", t.src.String(), "destination", self(cfg).String())
			t.close()
		}
	}
}

// close stops accepting and closes every connection.
func (in *inbound) close() {
	_ = in.ln.Close()
	_ = in.http.Close()
	in.conns.closeAll()
}

// drain stops accepting and waits for open connections until ctx is done.
func (in *inbound) drain(ctx context.Context) {
	_ = in.ln.Close()
	<-in.done
	go func() {
		<-ctx.Done()
		_ = in.http.Close()
	}()
	_ = in.http.Shutdown(ctx)
	in.conns.wait(ctx)
}

// chanListener hands connections the proxy accepted and handshook itself
// to an http.Server.
type chanListener struct {
	addr   net.Addr
	ch     chan net.Conn
	closed chan struct{}
	once   chan struct{}
}

func newChanListener(addr net.Addr) *chanListener {
	l := &chanListener{addr: addr, ch: make(chan net.Conn), closed: make(chan struct{}), once: make(chan struct{}, 1)}
	l.once <- struct{}{}
	return l
}

func (l *chanListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.closed:
		return false
	case <-time.After(handshakeTimeout):
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	select {
	case <-l.once:
		close(l.closed)
	default:
	}
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
