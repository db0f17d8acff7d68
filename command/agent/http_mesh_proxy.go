package agent

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// The sidecar proxies' configuration (structs.MeshProxyConfigPath): a
// blocking read served by the client agent of the proxy's node. It carries
// the proxy's private key, so its door is its own: the proxy's workload
// identity (the token of its task, secrets/appmesh_token) for exactly its
// allocation and service, or a management token; without ACLs, callers on
// this host only.

// MeshProxyBackend is the client agent's side (client.Client).
type MeshProxyBackend interface {
	MeshProxyConfig(ctx context.Context, allocID, service string, minIndex uint64, wait time.Duration) (*structs.MeshProxyConfig, error)
	VerifyMeshProxyToken(ctx context.Context, token, allocID, service string) error
	MeshACLEnabled() bool
}

// ruleMeshProxy is the door of the proxies' config (authorizeMeshProxy).
const ruleMeshProxy = "mesh_proxy"

func meshProxyDoor(fn endpoint) door { return door{fn: fn, rule: accessRule{kind: ruleMeshProxy}} }

func (s *HTTPServer) registerMeshProxyRoutes() {
	s.route(structs.MeshProxyConfigPath, map[string]door{http.MethodGet: meshProxyDoor(s.meshProxyConfig)})
}

var errMeshProxyDenied = &httpError{code: http.StatusForbidden,
	msg: "Permission denied: a sidecar proxy's config needs the proxy task's workload identity token (secrets/appmesh_token) for this allocation and service, or a management token"}

var errMeshProxyRemote = &httpError{code: http.StatusForbidden,
	msg: "Permission denied: without ACLs a sidecar proxy's config is served to callers on this host only, or with the proxy task's workload identity token"}

func (s *HTTPServer) meshProxyBackend() (MeshProxyBackend, error) {
	b, ok := s.backend.(MeshProxyBackend)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this agent serves no sidecar proxy configs"}
	}
	return b, nil
}

// authorizeMeshProxy opens the door for the proxy's own workload identity,
// for a management token when ACLs are on, and for callers on this host
// when they are off.
func (s *HTTPServer) authorizeMeshProxy(r *http.Request) error {
	b, err := s.meshProxyBackend()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	token := authToken(r)
	if token != "" && b.VerifyMeshProxyToken(r.Context(), token, q.Get("alloc_id"), q.Get("service")) == nil {
		return nil
	}
	if !b.MeshACLEnabled() {
		if fromThisHost(r) {
			return nil
		}
		return errMeshProxyRemote
	}
	if token == "" {
		return errMeshProxyDenied
	}
	args := &structs.ACLAuthorizeRequest{Kind: structs.AuthorizeManagement, Capability: "read a sidecar proxy's config"}
	args.AuthToken = token
	var reply structs.ACLAuthorizeResponse
	if err := s.rpc(r, structs.ACLAuthorizeRPC, args, &reply); err != nil {
		if statusFor(err) == http.StatusForbidden {
			return errMeshProxyDenied
		}
		return err
	}
	return nil
}

// fromThisHost: a loopback caller, or one whose address is the address it
// called (a connection from this host to one of its own addresses).
func fromThisHost(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return false
	}
	lhost, _, err := net.SplitHostPort(local.String())
	return err == nil && net.ParseIP(lhost).Equal(ip)
}

// GET /v1/mesh/proxy/config?alloc_id=&service=&index=&wait=
func (s *HTTPServer) meshProxyConfig(w http.ResponseWriter, r *http.Request) (any, error) {
	b, err := s.meshProxyBackend()
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	allocID, service := q.Get("alloc_id"), q.Get("service")
	if allocID == "" || service == "" {
		return nil, badRequest("alloc_id and service are required")
	}
	var opts structs.QueryOptions
	if err := parseQuery(r, &opts); err != nil {
		return nil, err
	}
	cfg, err := b.MeshProxyConfig(r.Context(), allocID, service, opts.MinQueryIndex, opts.MaxQueryTime)
	if err != nil {
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return nil, nil // the proxy went away
		}
		return nil, err
	}
	// The answer holds a private key: no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set(indexHeader, strconv.FormatUint(cfg.Index, 10))
	return cfg, nil
}
