package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/appmesh/appmesh/structs"
)

// Operator is the /v1/operator part of the API: Raft peers and snapshots.
type Operator struct{ c *Client }

// Operator returns the operator endpoints.
func (c *Client) Operator() *Operator { return &Operator{c: c} }

// SnapshotMagic starts every snapshot file the agent writes. It lets the
// client tell a snapshot from an empty or foreign answer (an error page, a
// proxy's login form) before writing or uploading anything.
const SnapshotMagic = "appmesh-snapshot "

// RaftGetConfiguration lists the Raft peers, as the leader sees them.
func (o *Operator) RaftGetConfiguration() (*structs.RaftConfigurationResponse, error) {
	return o.RaftGetConfigurationOpts(nil)
}

// RaftGetConfigurationOpts is RaftGetConfiguration with query options;
// AllowStale lets a server without a leader answer from its own view, which
// is what an operator needs when the cluster has lost its quorum.
func (o *Operator) RaftGetConfigurationOpts(q *QueryOptions) (*structs.RaftConfigurationResponse, error) {
	var out structs.RaftConfigurationResponse
	if _, err := o.c.query("/v1/operator/raft/configuration", nil, q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RaftRemovePeerByAddress removes the Raft peer with the given RPC address
// ("10.0.0.3:6061"), e.g. a dead server that will not come back.
func (o *Operator) RaftRemovePeerByAddress(addr string) error {
	if addr == "" {
		return errors.New("remove raft peer: the peer's address is required")
	}
	return o.removePeer(url.Values{"address": {addr}})
}

// RaftRemovePeerByID removes the Raft peer with the given server ID.
func (o *Operator) RaftRemovePeerByID(id string) error {
	if id == "" {
		return errors.New("remove raft peer: the peer's ID is required")
	}
	return o.removePeer(url.Values{"id": {id}})
}

func (o *Operator) removePeer(params url.Values) error {
	_, err := o.c.write(http.MethodDelete, "/v1/operator/raft/peer", params, nil, nil)
	return err
}

// SnapshotSave streams a snapshot of the whole cluster state to w. It
// writes nothing to w unless the agent's answer starts like a snapshot.
func (o *Operator) SnapshotSave(ctx context.Context, w io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := o.c.newRequest(ctx, http.MethodGet, "/v1/operator/snapshot", nil, nil)
	if err != nil {
		return err
	}
	resp, err := o.c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	head, err := br.Peek(len(SnapshotMagic))
	if err != nil && len(head) == 0 {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return errors.New("save snapshot: the agent sent an empty snapshot (see the agent's log for the cause)")
	}
	if string(head) != SnapshotMagic {
		return fmt.Errorf("save snapshot: the agent's answer is not an appmesh snapshot (it starts with %q)", head)
	}
	if _, err := io.Copy(w, br); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}

// SnapshotRestore replaces the cluster's whole state with a snapshot read
// from r. It must reach the leader's agent; other agents refuse it.
func (o *Operator) SnapshotRestore(ctx context.Context, r io.Reader) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if r == nil {
		return errors.New("restore snapshot: no snapshot to read")
	}
	req, err := o.c.newRequest(ctx, http.MethodPut, "/v1/operator/snapshot", nil, nil)
	if err != nil {
		return err
	}
	req.Body = io.NopCloser(r)
	req.ContentLength = -1
	if l, ok := r.(interface{ Len() int }); ok {
		req.ContentLength = int64(l.Len())
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := o.c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out struct {
		Restored bool `json:"restored"`
	}
	if err := decodeBody(resp, &out); err != nil {
		return err
	}
	if !out.Restored {
		return errors.New("restore snapshot: the agent did not confirm the restore")
	}
	return nil
}

// GossipKeyring lists every server's gossip encryption keys (base64, the
// primary first).
func (o *Operator) GossipKeyring() (*structs.KeyringResponse, error) {
	var out structs.KeyringResponse
	if _, err := o.c.query("/v1/operator/keyring", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GossipKeyringChange installs, uses (makes primary) or removes a key on
// every alive server (op: structs.KeyringInstall, KeyringUse,
// KeyringRemove). The answer holds each server's outcome.
func (o *Operator) GossipKeyringChange(op, key string) (*structs.KeyringResponse, error) {
	var out structs.KeyringResponse
	in := &structs.KeyringRequest{Op: op, Key: key}
	if _, err := o.c.write(http.MethodPut, "/v1/operator/keyring", nil, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
