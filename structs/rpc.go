package structs

import (
	"context"
	"time"
)

// RPC method names. Endpoints are "Service.Method"; the same names are used
// in-process and, from phase 2, over the network.
const (
	JobRegisterRPC      = "Job.Register"
	JobDeregisterRPC    = "Job.Deregister"
	JobGetJobRPC        = "Job.GetJob"
	JobGetVersionRPC    = "Job.GetJobVersion"
	JobListRPC          = "Job.List"
	JobAllocationsRPC   = "Job.Allocations"
	JobEvaluationsRPC   = "Job.Evaluations"
	AllocListRPC        = "Alloc.List"
	AllocGetAllocRPC    = "Alloc.GetAlloc"
	NodeRegisterRPC     = "Node.Register"
	NodeHeartbeatRPC    = "Node.Heartbeat"
	NodeGetNodeRPC      = "Node.GetNode"
	NodeListRPC         = "Node.List"
	NodeGetClientAllocs = "Node.GetClientAllocs"
	NodeUpdateAllocRPC  = "Node.UpdateAlloc"
	EvalListRPC         = "Eval.List"
	EvalGetEvalRPC      = "Eval.GetEval"
	StatusLeaderRPC     = "Status.Leader"
	StatusPeersRPC      = "Status.Peers"
)

// MaxBlockingQueryTime caps ?wait=.
const (
	DefaultBlockingQueryTime = 5 * time.Minute
	MaxBlockingQueryTime     = 10 * time.Minute
)

// QueryOptions are common to every read.
type QueryOptions struct {
	Namespace string `json:"namespace,omitempty"`
	// MinQueryIndex > 0 makes the read block until the state index of the
	// queried data exceeds it, or MaxQueryTime passes.
	MinQueryIndex uint64        `json:"min_query_index,omitempty"`
	MaxQueryTime  time.Duration `json:"max_query_time,omitempty"`
	AllowStale    bool          `json:"allow_stale,omitempty"`
	Prefix        string        `json:"prefix,omitempty"`
	AuthToken     string        `json:"-" codec:"auth_token,omitempty"`
	// ctx ends a blocking read early: the HTTP request that asked went
	// away, or the agent is shutting down. It is unexported, so it never
	// crosses the network; in-process calls carry it as they copy args.
	ctx context.Context
}

// SetQueryContext makes a blocking read end when ctx ends.
func (q *QueryOptions) SetQueryContext(ctx context.Context) { q.ctx = ctx }

// WithQueryContext sets ctx on args when args carries query options (a
// read); other arguments are left alone. In-process callers use it so that
// a blocking read ends with their caller.
func WithQueryContext(ctx context.Context, args any) {
	if qc, ok := args.(interface{ SetQueryContext(context.Context) }); ok {
		qc.SetQueryContext(ctx)
	}
}

// QueryContext is the context set by SetQueryContext, or nil.
func (q *QueryOptions) QueryContext() context.Context { return q.ctx }

// QueryMeta comes back with every read.
type QueryMeta struct {
	Index       uint64 `json:"index"`
	KnownLeader bool   `json:"known_leader"`
}

// WriteRequest is common to every write.
type WriteRequest struct {
	Namespace string `json:"namespace,omitempty"`
	AuthToken string `json:"-" codec:"auth_token,omitempty"`
}

// WriteMeta comes back with every write.
type WriteMeta struct {
	Index uint64 `json:"index"`
}

// --- Jobs ---

type JobRegisterRequest struct {
	Job *Job `json:"job"`
	// EnforceIndex makes the register fail unless the job's current
	// JobModifyIndex equals JobModifyIndex (0: the job must not exist).
	EnforceIndex   bool   `json:"enforce_index,omitempty"`
	JobModifyIndex uint64 `json:"job_modify_index,omitempty"`
	// IdempotencyToken makes a retried register return the first one's
	// answer (server/register_idempotency.go).
	IdempotencyToken string `json:"idempotency_token,omitempty"`
	WriteRequest
}

type JobRegisterResponse struct {
	EvalID          string `json:"eval_id"`
	EvalCreateIndex uint64 `json:"eval_create_index"`
	JobModifyIndex  uint64 `json:"job_modify_index"`
	Warnings        string `json:"warnings,omitempty"`
	// Existing: the idempotency token was the last register's; this is
	// its answer and nothing new was written.
	Existing bool `json:"existing,omitempty"`
	WriteMeta
}

type JobDeregisterRequest struct {
	JobID string `json:"job_id"`
	Purge bool   `json:"purge,omitempty"`
	WriteRequest
}

type JobDeregisterResponse struct {
	EvalID         string `json:"eval_id"`
	JobModifyIndex uint64 `json:"job_modify_index"`
	WriteMeta
}

type JobSpecificRequest struct {
	JobID string `json:"job_id"`
	// Version selects a version for Job.GetJobVersion.
	Version uint64 `json:"version,omitempty"`
	// All includes terminal allocations/evaluations where relevant.
	All bool `json:"all,omitempty"`
	QueryOptions
}

type SingleJobResponse struct {
	Job *Job `json:"job"`
	QueryMeta
}

type JobListRequest struct {
	QueryOptions
}

type JobListResponse struct {
	Jobs []*JobListStub `json:"jobs"`
	QueryMeta
}

type JobAllocationsResponse struct {
	Allocations []*AllocListStub `json:"allocations"`
	QueryMeta
}

type JobEvaluationsResponse struct {
	Evaluations []*Evaluation `json:"evaluations"`
	QueryMeta
}

// --- Allocations ---

type AllocListRequest struct {
	QueryOptions
}

type AllocListResponse struct {
	Allocations []*AllocListStub `json:"allocations"`
	QueryMeta
}

type AllocSpecificRequest struct {
	AllocID string `json:"alloc_id"`
	QueryOptions
}

type SingleAllocResponse struct {
	Alloc *Allocation `json:"alloc"`
	QueryMeta
}

// --- Nodes ---

// The requests a client makes for its own node carry its node secret
// (SecretID), which the servers check against the node's SecretHash.

type NodeRegisterRequest struct {
	Node     *Node  `json:"node"`
	SecretID string `json:"secret_id,omitempty"`
	WriteRequest
}

type NodeUpdateResponse struct {
	// HeartbeatTTL is how long the servers wait for the next heartbeat.
	HeartbeatTTL time.Duration `json:"heartbeat_ttl"`
	// LeaderRPCAddr and Servers let clients rediscover the server set.
	LeaderRPCAddr string   `json:"leader_rpc_addr,omitempty"`
	Servers       []string `json:"servers,omitempty"`
	EvalIDs       []string `json:"eval_ids,omitempty"`
	// Reconnected tells a client that the servers had marked its node
	// down: it reports the status of all its allocations again.
	Reconnected bool `json:"reconnected,omitempty"`
	WriteMeta
}

type NodeHeartbeatRequest struct {
	NodeID   string `json:"node_id"`
	Status   string `json:"status"`
	SecretID string `json:"secret_id,omitempty"`
	WriteRequest
}

type NodeSpecificRequest struct {
	NodeID string `json:"node_id"`
	// SecretID is required by Node.GetClientAllocs (the node's own call).
	SecretID string `json:"secret_id,omitempty"`
	QueryOptions
}

type SingleNodeResponse struct {
	Node *Node `json:"node"`
	QueryMeta
}

type NodeListRequest struct {
	QueryOptions
}

type NodeListResponse struct {
	Nodes []*NodeListStub `json:"nodes"`
	QueryMeta
}

// NodeClientAllocsResponse maps a node's allocation IDs to their
// AllocModifyIndex, so the client fetches only what changed.
//
// With Full set it lists every allocation of the node, and the client
// drops what is not listed. Otherwise it lists only the allocations
// changed server-side after the query's MinQueryIndex: a node running 200
// allocations is not sent all 200 for every new one. The servers answer in
// full to a first query (MinQueryIndex 0) and whenever an allocation of the
// node was deleted since MinQueryIndex.
type NodeClientAllocsResponse struct {
	Allocs map[string]uint64 `json:"allocs"`
	Full   bool              `json:"full"`
	QueryMeta
}

type AllocUpdateRequest struct {
	// Allocs carries client status updates (batched).
	Allocs   []*AllocStatusUpdate `json:"allocs"`
	NodeID   string               `json:"node_id"`
	SecretID string               `json:"secret_id,omitempty"`
	WriteRequest
}

type GenericResponse struct {
	WriteMeta
}

// --- Evaluations ---

type EvalListRequest struct {
	QueryOptions
}

type EvalListResponse struct {
	Evaluations []*Evaluation `json:"evaluations"`
	QueryMeta
}

type EvalSpecificRequest struct {
	EvalID string `json:"eval_id"`
	QueryOptions
}

type SingleEvalResponse struct {
	Eval *Evaluation `json:"eval"`
	QueryMeta
}

// --- Status ---

type GenericRequest struct {
	QueryOptions
}

// StatusPeersResponse lists Raft peers.
type StatusPeersResponse struct {
	Peers []string `json:"peers"`
}

// ServerMember is one server as seen by gossip membership.
type ServerMember struct {
	Name       string `json:"name"`
	Addr       string `json:"addr"` // gossip address
	RPCAddr    string `json:"rpc_addr"`
	ID         string `json:"id"` // Raft server ID
	Datacenter string `json:"datacenter"`
	Status     string `json:"status"` // alive, suspect, failed, left
	Leader     bool   `json:"leader"`
}

// ServerMembersResponse lists the servers this server knows of.
type ServerMembersResponse struct {
	Members []*ServerMember `json:"members"`
}

// RaftPeer is one server of the Raft configuration.
type RaftPeer struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Node    string `json:"node"`
	Leader  bool   `json:"leader"`
	Voter   bool   `json:"voter"`
}

// RaftConfigurationResponse lists the Raft peers.
type RaftConfigurationResponse struct {
	Servers []*RaftPeer `json:"servers"`
	Index   uint64      `json:"index"`
}

// RaftPeerRequest names a peer by ID or address.
type RaftPeerRequest struct {
	ID      string `json:"id,omitempty"`
	Address string `json:"address,omitempty"`
	WriteRequest
}

// ForceLeaveRequest names a server to remove.
type ForceLeaveRequest struct {
	Node string `json:"node"`
	WriteRequest
}

// AllocsGetRequest fetches several allocations at once (a client learning
// what changed on its node).
type AllocsGetRequest struct {
	AllocIDs []string `json:"alloc_ids"`
	QueryOptions
}

// AllocsGetResponse holds the allocations found; missing IDs are left out.
type AllocsGetResponse struct {
	Allocs []*Allocation `json:"allocs"`
	QueryMeta
}

// AllocGetAllocsRPC fetches several allocations in one call.
const AllocGetAllocsRPC = "Alloc.GetAllocs"

// MaxAllocsPerFetch bounds one Alloc.GetAllocs call.
const MaxAllocsPerFetch = 1000

// RequestToken returns the ACL token secret a request carries. Every RPC
// argument embeds QueryOptions or WriteRequest, so every RPC answers it;
// the server's one authorization check relies on that.
func (q *QueryOptions) RequestToken() string { return q.AuthToken }

// SetRequestToken sets the token secret (the HTTP API copies it from the
// request's headers).
func (q *QueryOptions) SetRequestToken(t string) { q.AuthToken = t }

// RequestNamespace returns the namespace the request names ("" = default).
func (q *QueryOptions) RequestNamespace() string { return q.Namespace }

func (w *WriteRequest) RequestToken() string     { return w.AuthToken }
func (w *WriteRequest) SetRequestToken(t string) { w.AuthToken = t }
func (w *WriteRequest) RequestNamespace() string { return w.Namespace }

// SetRequestNamespace sets the namespace of a request.
func (q *QueryOptions) SetRequestNamespace(ns string) { q.Namespace = ns }
func (w *WriteRequest) SetRequestNamespace(ns string) { w.Namespace = ns }
