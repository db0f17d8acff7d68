package server

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/golang-jwt/jwt/v5"
)

// Workload identities are signed on demand, when the client that runs the
// task asks (Node.SignIdentities), not at plan time: a token signed at plan
// time would sit in Raft and in every allocation read, where anyone with
// read-job could copy it, and could not be renewed. Asking at start needs
// only the node's secret and an allocation placed on that node, so a node
// gets tokens only for the tasks it runs.

// workloadClaims are the claims of a workload identity JWT.
type workloadClaims struct {
	jwt.RegisteredClaims
	Namespace    string `json:"appmesh_namespace"`
	JobID        string `json:"appmesh_job_id"`
	AllocationID string `json:"appmesh_allocation_id"`
	Task         string `json:"appmesh_task"`
	Identity     string `json:"appmesh_identity"`
}

// SignIdentities signs the identity blocks of one task of an allocation
// placed on the calling node.
func (n *Node) SignIdentities(args *structs.SignIdentitiesRequest, reply *structs.SignIdentitiesResponse) error {
	// Signing may create the first key, a Raft write: the leader does it.
	if done, err := n.srv.forward(structs.NodeSignIdentitiesRPC, false, args, reply); done {
		return err
	}
	st := n.srv.State()
	node, err := checkNodeSecret(st, args.NodeID, args.SecretID)
	if err != nil {
		return err
	}
	// checkNodeSecret lets unknown nodes and nodes without a recorded
	// secret through (for their first registration); a token is only for
	// a node that proved its secret.
	if node == nil || node.SecretHash == "" {
		return permissionDenied("node %s has no registered secret: only a registered node gets workload identities", args.NodeID)
	}
	alloc, err := st.AllocByID(nil, args.AllocID)
	if err != nil {
		return fmt.Errorf("look up allocation %q: %w", args.AllocID, err)
	}
	if alloc == nil || alloc.NodeID != args.NodeID {
		return permissionDenied("allocation %s is not on node %s", args.AllocID, args.NodeID)
	}
	if alloc.TerminalStatus() {
		return permissionDenied("allocation %s has stopped: it gets no new workload identities", args.AllocID)
	}
	job, err := st.JobByIDAndVersion(nil, alloc.Namespace, alloc.JobID, alloc.JobVersion)
	if err != nil {
		return fmt.Errorf("look up job %q of allocation %s: %w", alloc.JobID, alloc.ID, err)
	}
	var task *structs.Task
	if job != nil {
		if g := job.LookupGroup(alloc.TaskGroup); g != nil {
			task = g.LookupTask(args.Task)
		}
	}
	if task == nil {
		return fmt.Errorf("invalid: allocation %s has no task %q", alloc.ID, args.Task)
	}
	if len(task.Identities) == 0 {
		return permissionDenied("task %q of allocation %s declares no identity block", args.Task, alloc.ID)
	}
	n.srv.login.mu.Lock()
	defer n.srv.login.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Second)
	for _, id := range task.Identities {
		signed, err := n.srv.signWorkloadJWT(alloc, task.Name, id, now)
		if err != nil {
			return fmt.Errorf("sign identity %q of task %q (allocation %s): %w", id.IdentityName(), task.Name, alloc.ID, err)
		}
		reply.Identities = append(reply.Identities, signed)
	}
	return nil
}

// signWorkloadJWT signs one identity with the cluster's active signing key,
// the key the JWKS endpoint publishes. Only the leader calls it, under
// login.mu (activeSigningKey may create the first key).
func (s *Server) signWorkloadJWT(alloc *structs.Allocation, task string, id *structs.WorkloadIdentity, now time.Time) (*structs.SignedIdentity, error) {
	key, err := s.activeSigningKey()
	if err != nil {
		return nil, err
	}
	claims := workloadClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:   loginIssuer,
			Subject:  fmt.Sprintf("%s:%s:%s:%s", alloc.Namespace, alloc.JobID, alloc.TaskGroup, task),
			Audience: jwt.ClaimStrings(id.Audience),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
		},
		Namespace: alloc.Namespace, JobID: alloc.JobID, AllocationID: alloc.ID, Task: task, Identity: id.IdentityName(),
	}
	out := &structs.SignedIdentity{Task: task, Name: id.IdentityName(), IssuedAt: now}
	if id.TTL > 0 {
		out.Expires = now.Add(id.TTL.Std())
		claims.ExpiresAt = jwt.NewNumericDate(out.Expires)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = key.KeyID
	out.JWT, err = tok.SignedString(ed25519.NewKeyFromSeed(key.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("sign workload identity: %w", err)
	}
	return out, nil
}
