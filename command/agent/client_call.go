package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Operations relayed to the agent of the node that runs an allocation.
const (
	opSignal  = structs.ClientOpSignal
	opRestart = structs.ClientOpRestart
	opExec    = structs.ClientOpExec
	opStats   = structs.ClientOpStats
)

// allocOpArgs is the body of every relayed allocation operation.
type allocOpArgs struct {
	AllocID string        `json:"alloc_id"`
	Task    string        `json:"task,omitempty"`
	Signal  string        `json:"signal,omitempty"`
	Cmd     []string      `json:"cmd,omitempty"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// HandleClientCall runs a relayed operation on this agent's client.
func (a *Agent) HandleClientCall(op string, body []byte) ([]byte, error) {
	if a.client == nil {
		return nil, errNoClient
	}
	var args allocOpArgs
	if err := json.Unmarshal(body, &args); err != nil {
		return nil, fmt.Errorf("invalid: decode %s arguments: %w", op, err)
	}
	var out any
	var err error
	switch op {
	case opSignal:
		err = a.client.SignalAlloc(args.AllocID, args.Task, args.Signal)
	case opRestart:
		err = a.client.RestartAlloc(args.AllocID, args.Task)
	case opExec:
		out, err = a.client.ExecAlloc(args.AllocID, args.Task, args.Cmd, args.Timeout)
	case opStats:
		out, err = a.client.AllocStats(args.AllocID, args.Task)
	default:
		return nil, fmt.Errorf("invalid: unknown client operation %q", op)
	}
	if err != nil || out == nil {
		return nil, err
	}
	return json.Marshal(out)
}

// relayAllocOp runs op on the allocation's node: locally when it runs
// here, otherwise through the servers, which reach the node's client over
// the connection it opened. out (may be nil) receives the JSON answer.
func (a *Agent) relayAllocOp(ctx context.Context, op string, args allocOpArgs, out any) error {
	body, _ := json.Marshal(args)
	if a.client != nil && a.client.HasAlloc(args.AllocID) {
		// Like OpenExec: no server round trip for an allocation of this node.
		answer, err := a.HandleClientCall(op, body)
		return decodeAnswer(answer, err, out)
	}
	// The request's token goes with the calls: the servers check it against
	// the allocation's namespace. The HTTP door usually found the node.
	token := tokenFrom(ctx)
	nodeID, err := a.allocNode(ctx, args.AllocID)
	if err != nil {
		return err
	}
	if a.client != nil && nodeID == a.client.NodeID() {
		answer, err := a.HandleClientCall(op, body)
		return decodeAnswer(answer, err, out)
	}
	call := &structs.ClientCallRequest{NodeID: nodeID, AllocID: args.AllocID, Op: op, Body: body}
	call.AuthToken = token
	var reply structs.ClientCallResponse
	err = a.RPC("Node.ClientCall", call, &reply)
	return decodeAnswer(reply.Body, err, out)
}

// allocNode returns the node that runs an allocation: as the request's
// door found it, or by asking the servers (with the request's token).
func (a *Agent) allocNode(ctx context.Context, allocID string) (string, error) {
	if node := allocNodeFrom(ctx, allocID); node != "" {
		return node, nil
	}
	lookup := &structs.AllocSpecificRequest{AllocID: allocID}
	lookup.AuthToken = tokenFrom(ctx)
	var alloc structs.SingleAllocResponse
	if err := a.RPC(structs.AllocGetAllocRPC, lookup, &alloc); err != nil {
		return "", err
	}
	if alloc.Alloc == nil {
		return "", fmt.Errorf("allocation %q: %w", allocID, structs.ErrNotFound)
	}
	return alloc.Alloc.NodeID, nil
}

func decodeAnswer(body []byte, err error, out any) error {
	if err != nil || out == nil || len(body) == 0 {
		return err
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode the node's answer: %w", err)
	}
	return nil
}

// localClient adapts the agent to server.LocalClient: logs and operations
// of this agent's own node, served in-process.
type localClient struct{ a *Agent }

func (l localClient) NodeID() string { return l.a.client.NodeID() }

func (l localClient) StreamLogs(ctx context.Context, allocID, task, logType string, follow bool, offset int64, w io.Writer) error {
	return l.a.client.StreamLogs(ctx, allocID, task, logType, follow, offset, w)
}

func (l localClient) StreamAllocData(ctx context.Context, allocID string, w io.Writer) error {
	return l.a.client.StreamAllocData(ctx, allocID, w)
}

func (l localClient) HandleClientCall(op string, body []byte) ([]byte, error) {
	return l.a.HandleClientCall(op, body)
}
