package proxy

import (
	"net"
	"net/http"
	"net/http/httputil"
	"time"
)

// newInboundHTTP is the L7 side of the inbound listener: each request is
// checked against intentions (so a deny reaches pooled keep-alive
// connections at their next request) and proxied to the task.
func (p *Proxy) newInboundHTTP() *http.Server {
	local := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: defaultConnectTimeout}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = p.cfg.Load().LocalServiceAddr
			pr.Out.Host = pr.In.Host
		},
		Transport: local,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.logger.Warn("local service request failed", "error", err)
			http.Error(w, "appmesh proxy: local service unreachable", http.StatusBadGateway)
		},
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			p.m.requestDuration.WithLabelValues(dirInbound, "", "", codeClass(sw.status())).Observe(time.Since(start).Seconds())
		}()
		cfg := p.cfg.Load()
		id := ""
		if r.TLS != nil {
			id, _ = peerID(*r.TLS)
		}
		d, _, err := decide(cfg, id)
		if err != nil || !d.Allow {
			p.m.denials.WithLabelValues(ProtocolHTTP).Inc()
			p.logger.Info("inbound request denied", "source", id, "destination", self(cfg).String(), "reason", d.String())
			http.Error(sw, "appmesh proxy: denied by intention", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(sw, r)
	})
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          p.logger.StandardLogger(nil),
		ConnState: func(c net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				p.opened(p.m.connsActive.WithLabelValues(dirInbound, ""))
			case http.StateClosed, http.StateHijacked:
				p.closedConn(p.m.connsActive.WithLabelValues(dirInbound, ""))
			}
		},
	}
}

// statusWriter remembers the status written, for metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
