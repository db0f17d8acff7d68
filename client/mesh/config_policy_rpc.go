package mesh

import (
	"context"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// The RPC-backed PolicySource. Its request and response types stand in for
// the policy part's (server/endpoint_mesh_*.go), which are not merged yet:
// only this file needs to change to use theirs.

// PolicyRPCFunc calls a server RPC on behalf of the node (client.Client's rpc,
// which adds the node's credential).
type PolicyRPCFunc func(ctx context.Context, method string, args, reply any) error

// RPCPolicy reads intentions and splits with the blocking RPCs
// structs.MeshIntentionListRPC and structs.MeshSplitListRPC.
type RPCPolicy struct {
	RPC PolicyRPCFunc
	// Wait is the servers' wait per blocking query (0: 5 minutes).
	Wait time.Duration
}

var _ PolicySource = (*RPCPolicy)(nil)

// meshIntentionListRequest asks for the intentions of a destination
// namespace (wildcards included) and its default.
type meshIntentionListRequest struct {
	structs.QueryOptions
}

type meshIntentionListResponse struct {
	Intentions   []*structs.Intention `json:"intentions"`
	DefaultAllow bool                 `json:"default_allow"`
	structs.QueryMeta
}

type meshSplitListRequest struct {
	structs.QueryOptions
}

type meshSplitListResponse struct {
	Splits []*structs.MeshSplit `json:"splits"`
	structs.QueryMeta
}

func (p *RPCPolicy) wait() time.Duration {
	if p.Wait > 0 {
		return p.Wait
	}
	return MaxConfigWait
}

// Intentions implements PolicySource.
func (p *RPCPolicy) Intentions(ctx context.Context, namespace string, minIndex uint64) ([]*structs.Intention, bool, uint64, error) {
	req := &meshIntentionListRequest{}
	req.Namespace, req.MinQueryIndex, req.MaxQueryTime = namespace, minIndex, p.wait()
	var out meshIntentionListResponse
	if err := p.RPC(ctx, structs.MeshIntentionListRPC, req, &out); err != nil {
		return nil, false, 0, fmt.Errorf("list intentions of namespace %q: %w", namespace, err)
	}
	return out.Intentions, out.DefaultAllow, out.Index, nil
}

// Splits implements PolicySource.
func (p *RPCPolicy) Splits(ctx context.Context, minIndex uint64) ([]*structs.MeshSplit, uint64, error) {
	req := &meshSplitListRequest{}
	req.Namespace, req.MinQueryIndex, req.MaxQueryTime = structs.AllNamespacesSentinel, minIndex, p.wait()
	var out meshSplitListResponse
	if err := p.RPC(ctx, structs.MeshSplitListRPC, req, &out); err != nil {
		return nil, 0, fmt.Errorf("list traffic splits: %w", err)
	}
	return out.Splits, out.Index, nil
}
