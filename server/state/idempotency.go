package state

import (
	"fmt"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// DispatchedWithToken returns the child of parent dispatched with the
// idempotency token, or nil.
func (s *StateStore) DispatchedWithToken(ws memdb.WatchSet, namespace, parent, token string) (*structs.Job, error) {
	children, err := s.ChildJobs(ws, namespace, parent)
	if err != nil {
		return nil, err
	}
	return childWithToken(children, token), nil
}

func childWithToken(children []*structs.Job, token string) *structs.Job {
	if token == "" {
		return nil
	}
	for _, c := range children {
		if c.DispatchIdempotencyToken == token {
			return c
		}
	}
	return nil
}

// DuplicateDispatch reports whether job is a dispatched child whose
// idempotency token another child of the same parent already carries. The
// FSM then drops the write: two dispatches with one token that both
// passed the leader's check commit one child, whatever their order.
func (tx *WriteTxn) DuplicateDispatch(job *structs.Job) (bool, error) {
	if job == nil || job.ParentID == "" || job.DispatchIdempotencyToken == "" {
		return false, nil
	}
	ns := namespaceOrDefault(job.Namespace)
	it, err := tx.txn.Get(TableJobs, indexID+"_prefix", ns, job.ParentID+"/")
	if err != nil {
		return false, fmt.Errorf("list children of job %q: %w", job.ParentID, err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		c := raw.(*structs.Job)
		if c.ParentID == job.ParentID && c.ID != job.ID && c.DispatchIdempotencyToken == job.DispatchIdempotencyToken {
			return true, nil
		}
	}
	return false, nil
}
