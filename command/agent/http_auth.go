package agent

import (
	"context"
	"net/http"
	"strings"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// door is one method of one route: its handler and the access rule the
// router checks before the handler runs. Every route is registered with a
// door, so a route cannot exist without a rule; TestHTTPDoors walks the
// route table and tries each one without a token, with a wrong one and with
// one of another namespace.
type door struct {
	fn   endpoint
	rule accessRule
}

// accessRule says what a request must be allowed to do.
type accessRule struct {
	// kind is a structs.Authorize* kind, or ruleRPC (the handler only calls
	// RPCs, which each check the token), or rulePublic.
	kind string
	// capability (namespace and alloc kinds) or access (read|write).
	capability string
	access     string
	// also is a second capability in the same namespace, which the
	// handler's own RPCs need (inNamespaceAnd); the door checks it too.
	also string
	// allocParam names the path value that holds the allocation ID.
	allocParam string
}

const (
	ruleRPC    = "rpc"
	rulePublic = "public"
	// ruleStatic is the embedded web UI's files (http_ui.go): public,
	// GET-only, and only a staticFiles door can carry it.
	ruleStatic = "static"
)

// viaRPC: every RPC the handler makes carries the request's token and is
// checked by the servers' one RPC door.
func viaRPC(fn endpoint) door { return door{fn: fn, rule: accessRule{kind: ruleRPC}} }

// public needs no token (ACL bootstrap only: it works once).
func public(fn endpoint) door { return door{fn: fn, rule: accessRule{kind: rulePublic}} }

// onAlloc needs a namespace capability in the allocation's namespace.
func onAlloc(param, capability string, fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeAlloc, capability: capability, allocParam: param}}
}

// inNamespace needs a capability in the request's ?namespace=.
func inNamespace(capability string, fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeNamespace, capability: capability}}
}

// inNamespaceAnd needs two capabilities in the request's ?namespace=: one
// for what the handler does itself (read a task's log from the client) and
// one that its RPCs need (read-job, to find the job and its allocations).
// The door checks both, so that its rule says all a token needs
// (TestHTTPDoorsLeastPrivilege) and a refusal comes first and names it.
func inNamespaceAnd(capability, also string, fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeNamespace, capability: capability, also: also}}
}

func agentAccess(access string, fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeAgent, access: access}}
}

func operatorAccess(access string, fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeOperator, access: access}}
}

func management(what string, fn endpoint) door {
	return door{fn: fn, rule: accessRule{kind: structs.AuthorizeManagement, capability: what}}
}

// authorize checks a door's rule by asking the servers (ACL.Authorize), so
// the decision is the same one every RPC gets, also on an agent that runs
// no server. For an allocation the answer names its node, which the
// handler's relay then needs not look up again.
func (s *HTTPServer) authorize(r *http.Request, rule accessRule) (*structs.ACLAuthorizeResponse, error) {
	if rule.kind == ruleRPC || rule.kind == rulePublic || rule.kind == ruleStatic {
		return &structs.ACLAuthorizeResponse{}, nil
	}
	if rule.kind == ruleMeshProxy {
		return &structs.ACLAuthorizeResponse{}, s.authorizeMeshProxy(r)
	}
	args := &structs.ACLAuthorizeRequest{Kind: rule.kind, Capability: rule.capability, Access: rule.access}
	if rule.allocParam != "" {
		args.AllocID = r.PathValue(rule.allocParam)
	}
	args.Namespace = r.URL.Query().Get("namespace")
	args.AuthToken = authToken(r)
	var reply structs.ACLAuthorizeResponse
	if err := s.rpc(r, structs.ACLAuthorizeRPC, args, &reply); err != nil {
		return nil, err
	}
	if rule.also != "" {
		also := *args
		also.Capability = rule.also
		if err := s.rpc(r, structs.ACLAuthorizeRPC, &also, &structs.ACLAuthorizeResponse{}); err != nil {
			return nil, err
		}
	}
	return &reply, nil
}

// requestCarrier is implemented by every RPC argument (structs.QueryOptions
// and structs.WriteRequest).
type requestCarrier interface {
	SetRequestToken(string)
	RequestNamespace() string
	SetRequestNamespace(string)
}

// rpc calls the servers on behalf of an HTTP request: the request's token
// and ?namespace= go with the call (a namespace the handler already set
// wins).
func (s *HTTPServer) rpc(r *http.Request, method string, args, reply any) error {
	if rc, ok := args.(requestCarrier); ok {
		rc.SetRequestToken(authToken(r))
		if rc.RequestNamespace() == "" {
			rc.SetRequestNamespace(r.URL.Query().Get("namespace"))
		}
	}
	// The request's context ends a blocking query when the caller goes
	// away or the agent shuts down, instead of holding it for its wait.
	if cr, ok := s.backend.(contextRPCer); ok {
		return cr.RPCContext(r.Context(), method, args, reply)
	}
	structs.WithQueryContext(r.Context(), args)
	return s.backend.RPC(method, args, reply)
}

// contextRPCer is a Backend whose calls can be cancelled (a client-only
// agent's calls to its servers).
type contextRPCer interface {
	RPCContext(ctx context.Context, method string, args, reply any) error
}

// requestAuth is what the door learnt about a request, handed to the
// agent's own follow-up calls (an allocation's node, its logs on another
// server) through the request's context.
type requestAuth struct {
	token string
	// allocNode is the node of the door's allocation ("" when the door
	// was not an allocation's, or ACLs are off and nothing was looked up).
	allocID, allocNode string
}

type requestAuthKey struct{}

func withRequestAuth(ctx context.Context, ra requestAuth) context.Context {
	return context.WithValue(ctx, requestAuthKey{}, ra)
}

func tokenFrom(ctx context.Context) string {
	ra, _ := ctx.Value(requestAuthKey{}).(requestAuth)
	return ra.token
}

// allocNodeFrom returns the node the door found for allocID, if any.
func allocNodeFrom(ctx context.Context, allocID string) string {
	ra, _ := ctx.Value(requestAuthKey{}).(requestAuth)
	if ra.allocID != allocID {
		return ""
	}
	return ra.allocNode
}

// authToken reads the request's ACL token: X-Appmesh-Token, or
// Authorization: Bearer. On WebSocket upgrades, which browsers cannot give
// headers, also an appmesh.token.<secret> subprotocol (the web UI's way)
// or ?token=; tokens in other URLs end up in proxy logs.
func authToken(r *http.Request) string {
	if t := r.Header.Get(tokenHeader); t != "" {
		return t
	}
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if t := wsProtocolToken(r); t != "" { // the web UI (http_ws_token.go)
			return t
		}
		return r.URL.Query().Get("token")
	}
	return amCookieToken(r) // App Mesh's SDKs, under /appmesh/ only (http_appmesh_cookie.go)
}

// Capabilities used by the doors, named here so http_routes.go reads well.
const (
	capReadJob   = acl.CapabilityReadJob
	capReadLogs  = acl.CapabilityReadLogs
	capSubmitJob = acl.CapabilitySubmitJob
	capExec      = acl.CapabilityAllocExec
	capLifecycle = acl.CapabilityAllocLifecycle
	read         = acl.PolicyRead
	write        = acl.PolicyWrite
)
