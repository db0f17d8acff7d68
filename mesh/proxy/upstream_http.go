package proxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// L7 outbound: a reverse proxy on the upstream's local bind that routes
// each request to a subset, retries with back-off, and keeps a pool of
// mTLS connections to the destination's proxies.

const (
	// maxReplayBody is the largest request body kept to retry a request.
	maxReplayBody = 64 << 10
	// defaultRetries applies when no route says otherwise.
	defaultRetries = 2
	retryBaseDelay = 25 * time.Millisecond
	retryMaxDelay  = time.Second
)

// routeKey carries the matched route from the handler to the round trip.
type routeKey struct{}

type routeInfo struct {
	route *structs.MeshRoute
	label string
}

func (u *upstream) startHTTP() {
	u.transport = &http.Transport{
		// Plain "http" URLs: the dial itself is mTLS, so the pool is of
		// verified connections to each instance's proxy.
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return u.dial(ctx, u.snap.Load(), addr)
		},
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 0,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.Host = pr.In.Host
		},
		Transport:    (*retryTransport)(u),
		ErrorHandler: u.proxyError,
	}
	u.http = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { u.serveHTTP(rp, w, r) }),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          u.p.logger.StandardLogger(nil),
		ConnState: func(c net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				u.p.m.connsTotal.WithLabelValues(dirOutbound, u.name).Inc()
				u.p.opened(u.p.m.connsActive.WithLabelValues(dirOutbound, u.name))
			case http.StateClosed, http.StateHijacked:
				u.p.closedConn(u.p.m.connsActive.WithLabelValues(dirOutbound, u.name))
			}
		},
	}
	go func() {
		defer u.p.wg.Done()
		defer close(u.done)
		err := u.http.Serve(&countingListener{Listener: u.ln,
			recv: u.p.m.bytesReceived.WithLabelValues(dirOutbound, u.name),
			sent: u.p.m.bytesSent.WithLabelValues(dirOutbound, u.name)})
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			u.p.logger.Error("upstream HTTP server stopped", "upstream", u.name, "error", err)
		}
	}()
}

func (u *upstream) serveHTTP(rp *httputil.ReverseProxy, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rt := u.snap.Load().matchRoute(r)
	info := &routeInfo{route: rt, label: routeLabel(rt)}
	ctx := context.WithValue(r.Context(), routeKey{}, info)
	if rt != nil && rt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(rt.Timeout))
		defer cancel()
	}
	sw := &statusWriter{ResponseWriter: w}
	rp.ServeHTTP(sw, r.WithContext(ctx))
	u.p.m.requestDuration.WithLabelValues(dirOutbound, u.name, info.label, codeClass(sw.status())).
		Observe(time.Since(start).Seconds())
}

var errNoInstance = errors.New("no healthy instance")

func (u *upstream) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusBadGateway
	switch {
	case errors.Is(err, errNoInstance):
		code = http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusGatewayTimeout
	}
	u.p.logger.Warn("upstream request failed", "upstream", u.name, "path", r.URL.Path, "error", err)
	http.Error(w, "appmesh proxy: upstream "+u.name+": "+http.StatusText(code), code)
}

// retryTransport is the upstream seen as an http.RoundTripper: it picks an
// instance per attempt and retries connect errors and 502/503/504.
type retryTransport upstream

func retryableStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

func (rt *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	u := (*upstream)(rt)
	info, _ := req.Context().Value(routeKey{}).(*routeInfo)
	if info == nil {
		info = &routeInfo{label: routeLabel(nil)}
	}
	retries, subset := defaultRetries, ""
	if info.route != nil {
		subset = info.route.Subset
		if info.route.Retries > 0 {
			retries = info.route.Retries
		}
	}
	body, replayable, err := bufferBody(req)
	if err != nil {
		return nil, err
	}
	snap := u.snap.Load()
	tried := map[string]bool{}
	for attempt := 0; ; attempt++ {
		cands := snap.candidates(subset)
		inst := pick(cands, &u.rr, &u.br, tried)
		if inst == nil && len(tried) > 0 {
			// Every instance was tried: start over rather than give up
			// while retries are left.
			clear(tried)
			inst = pick(cands, &u.rr, &u.br, tried)
		}
		if inst == nil {
			return nil, errNoInstance
		}
		addr := instAddr(inst)
		tried[addr] = true
		out := req.Clone(req.Context())
		out.URL.Host = addr
		if replayable {
			out.Body = io.NopCloser(bytes.NewReader(body))
			if body == nil {
				out.Body = http.NoBody
			}
		}
		resp, err := u.transport.RoundTrip(out)
		var de *dialError
		connectErr := errors.As(err, &de)
		gateway := err == nil && retryableStatus(resp.StatusCode)
		switch {
		case gateway:
			u.breakerFail(addr)
		case err == nil:
			u.br.success(addr)
		}
		canRetry := connectErr || (gateway && replayable)
		if !canRetry || attempt >= retries || req.Context().Err() != nil {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
		}
		u.p.m.retries.WithLabelValues(u.name, info.label).Inc()
		if !ctxsleep.Sleep(req.Context(), backoff(attempt)) {
			return nil, req.Context().Err()
		}
	}
}

// bufferBody reads a small body into memory so the request can be sent
// again. A larger one is left streaming and the request is not replayed.
func bufferBody(req *http.Request) ([]byte, bool, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, true, nil
	}
	if req.ContentLength > maxReplayBody {
		return nil, false, nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, maxReplayBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(buf) > maxReplayBody {
		req.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
		return nil, false, nil
	}
	_ = req.Body.Close()
	return buf, true, nil
}

// backoff is exponential with full jitter.
func backoff(attempt int) time.Duration {
	d := min(retryBaseDelay<<min(attempt, 10), retryMaxDelay)
	return d/2 + rand.N(d/2+1)
}
