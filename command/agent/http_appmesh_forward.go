package agent

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// amTargetHeader is App Mesh's cluster forwarding header: its SDKs send
// "host:port" (the port of the agent they talk to when the caller gave
// none), and the agent that receives the request passes it on to that
// host's agent.
const amTargetHeader = "X-Target-Host"

// amForwardTimeout bounds connecting to the target agent; the answer itself
// may take as long as the request does (a syncrun, an output wait).
const amForwardTimeout = 10 * time.Second

// WithAppMeshForwardTLS gives the client TLS configuration used to reach
// other agents' HTTPS APIs when forwarding X-Target-Host requests; without
// it they are reached over plain HTTP.
func WithAppMeshForwardTLS(cfg func() *tls.Config) HTTPServerOption {
	return func(s *HTTPServer) { s.amForwardTLS = cfg }
}

// amClusterWide tells the routes whose answer is the cluster's, not a
// node's: logins, tokens, TOTP, users, roles and permissions live on the
// servers, so any agent answers them and X-Target-Host is ignored there.
// It matters: App Mesh's SDKs send the header on every request once
// forwarding is set, login included, before the caller holds a token that
// could look the node up.
func amClusterWide(path string) bool {
	for _, p := range []string{"/appmesh/login", "/appmesh/auth", "/appmesh/self/", "/appmesh/token/",
		"/appmesh/totp/", "/appmesh/user/", "/appmesh/users", "/appmesh/role/", "/appmesh/roles", "/appmesh/permissions"} {
		if path == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

// amTargetNode resolves X-Target-Host to a node of the cluster: the host
// part names a node (its name, or the IP of its HTTP address); the port is
// not used, the node's own HTTP address is. The lookup is asked of the
// servers with the caller's token, so the caller needs node:read. self is
// true when the node is this agent's own.
func (s *HTTPServer) amTargetNode(r *http.Request, target string) (node *structs.NodeListStub, self bool, err error) {
	host := target
	if h, _, err := net.SplitHostPort(target); err == nil {
		host = h
	}
	host = strings.TrimSpace(host)
	if host == "" {
		return nil, false, badRequest("%s %q: a node name is required", amTargetHeader, target)
	}
	var out structs.NodeListResponse
	if err := s.rpc(r, structs.NodeListRPC, &structs.NodeListRequest{}, &out); err != nil {
		return nil, false, fmt.Errorf("%s: looking up node %q: %w", amTargetHeader, host, err)
	}
	var byAddr *structs.NodeListStub
	for _, n := range out.Nodes {
		if n.Name == host {
			node = n
			break
		}
		if h, _, err := net.SplitHostPort(n.HTTPAddr); err == nil && h == host && byAddr == nil {
			byAddr = n
		}
	}
	if node == nil {
		node = byAddr
	}
	if node == nil {
		return nil, false, notFound("%s %q: no node of this cluster has that name or HTTP address", amTargetHeader, target)
	}
	own, _ := s.backend.Self()["node_id"].(string)
	if node.ID == own {
		return node, true, nil
	}
	if node.Status != structs.NodeStatusReady || node.HTTPAddr == "" {
		return nil, false, &httpError{code: http.StatusServiceUnavailable,
			msg: fmt.Sprintf("%s %q: node %s is %s and cannot be reached", amTargetHeader, target, node.Name, node.Status)}
	}
	return node, false, nil
}

// amForward passes the request on to the agent of node as it came, token
// header or cookie included (the target checks it again), without the
// forwarding header so that it cannot travel further.
func (s *HTTPServer) amForward(w http.ResponseWriter, r *http.Request, node *structs.NodeListStub) {
	scheme := "http"
	var tlsCfg *tls.Config
	if s.amForwardTLS != nil {
		if tlsCfg = s.amForwardTLS(); tlsCfg != nil {
			scheme = "https"
		}
	}
	target := &url.URL{Scheme: scheme, Host: node.HTTPAddr}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Del(amTargetHeader)
		},
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: amForwardTimeout}).DialContext,
			TLSClientConfig:       tlsCfg,
			TLSHandshakeTimeout:   amForwardTimeout,
			ResponseHeaderTimeout: 0, // a syncrun or an output wait answers late on purpose
			DisableKeepAlives:     true,
		},
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, r.Context().Err()) {
				return // the caller went away
			}
			s.logger.Warn("appmesh forward failed", "node", node.Name, "addr", node.HTTPAddr, "error", err)
			writeJSON(w, http.StatusBadGateway, map[string]string{
				"message": fmt.Sprintf("%s: the agent of node %s (%s) did not answer: %v", amTargetHeader, node.Name, node.HTTPAddr, err)})
		},
	}
	proxy.ServeHTTP(w, r)
}
