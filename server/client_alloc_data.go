package server

import (
	"context"
	"io"
	"net"

	"github.com/appmesh/appmesh/transport"
)

// streamAllocData relays a previous allocation's data (ephemeral_disk
// migrate) from the node that ran it to the node of its replacement. The
// asking node proves itself with its node secret; the request is served
// only for its own allocation that replaces the requested one, of a group
// that asks for migrate. The previous node never sees the secret.
func (s *Server) streamAllocData(ctx context.Context, req *transport.LogsRequest, w io.Writer) error {
	if err := s.authorizeAllocData(req); err != nil {
		return err
	}
	prev, err := s.allocNode(req.AllocID)
	if err != nil {
		return err
	}
	if c := s.localClientFor(prev.NodeID); c != nil {
		return c.StreamAllocData(ctx, req.AllocID, w)
	}
	st, err := s.openClientStream(prev.NodeID, prev.NodeName, transport.StreamLogs)
	if err != nil {
		return err
	}
	if st != nil {
		toClient := *req
		toClient.NodeSecret = ""
		return pipeLogs(ctx, st, &toClient, w)
	}
	// Another server checks the request again, so it keeps the secret;
	// server-to-server streams travel on sessions that proved the join token.
	return s.forwardLogsRequest(ctx, req, prev.NodeName, func(st net.Conn, fwd *transport.LogsRequest) error {
		return pipeLogs(ctx, st, fwd, w)
	})
}

// authorizeAllocData checks that the asking node is who it says and that
// its allocation ForAlloc replaces AllocID in a group with
// ephemeral_disk { migrate = true }.
func (s *Server) authorizeAllocData(req *transport.LogsRequest) error {
	st := s.State()
	node, err := checkNodeSecret(st, req.NodeID, req.NodeSecret)
	if err != nil {
		return err
	}
	if node == nil || node.SecretHash == "" {
		return permissionDenied("node %q is unknown or has no secret: it may not fetch allocation data", req.NodeID)
	}
	next, err := st.AllocByID(nil, req.ForAlloc)
	if err != nil {
		return err
	}
	if next == nil || next.NodeID != node.ID || next.PreviousAllocation != req.AllocID {
		return permissionDenied("allocation %q of node %s does not replace allocation %q", req.ForAlloc, node.Name, req.AllocID)
	}
	job, err := st.JobByIDAndVersion(nil, next.Namespace, next.JobID, next.JobVersion)
	if err != nil {
		return err
	}
	if job == nil {
		return permissionDenied("the job of allocation %q is gone", next.ID)
	}
	if tg := job.LookupGroup(next.TaskGroup); tg == nil || tg.EphemeralDisk == nil || !tg.EphemeralDisk.Migrate {
		return permissionDenied("the group of allocation %q does not ask for ephemeral_disk migrate", next.ID)
	}
	return nil
}
