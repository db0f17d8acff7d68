package mesh

import (
	"context"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// The RPC-backed PolicySource: the servers' blocking lists of intentions
// and splits (server/endpoint_mesh_intentions.go, endpoint_mesh_splits.go).

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

func (p *RPCPolicy) wait() time.Duration {
	if p.Wait > 0 {
		return p.Wait
	}
	return MaxConfigWait
}

// Intentions implements PolicySource.
func (p *RPCPolicy) Intentions(ctx context.Context, namespace string, minIndex uint64) ([]*structs.Intention, bool, uint64, error) {
	req := &structs.IntentionListRequest{}
	req.Namespace, req.MinQueryIndex, req.MaxQueryTime = namespace, minIndex, p.wait()
	var out structs.IntentionListResponse
	if err := p.RPC(ctx, structs.MeshIntentionListRPC, req, &out); err != nil {
		return nil, false, 0, fmt.Errorf("list intentions of namespace %q: %w", namespace, err)
	}
	return out.Intentions, out.DefaultAllow[namespace], out.Index, nil
}

// Splits implements PolicySource.
func (p *RPCPolicy) Splits(ctx context.Context, minIndex uint64) ([]*structs.MeshSplit, uint64, error) {
	req := &structs.SplitListRequest{}
	req.Namespace, req.MinQueryIndex, req.MaxQueryTime = structs.AllNamespacesSentinel, minIndex, p.wait()
	var out structs.SplitListResponse
	if err := p.RPC(ctx, structs.MeshSplitListRPC, req, &out); err != nil {
		return nil, 0, fmt.Errorf("list traffic splits: %w", err)
	}
	return out.Splits, out.Index, nil
}
