package server

import (
	"bytes"
	"fmt"
	"maps"

	"github.com/appmesh/appmesh/structs"
)

// maxIdempotencyToken bounds the length of a caller's idempotency token.
const maxIdempotencyToken = 256

// ensureDispatchToken checks the caller's idempotency token, or gives the
// request one when it has none. It runs on the first server the request
// reaches, before forwarding: forward retries the same request against
// the next leader when the current one dies mid-call, and the token it
// carries makes that retry return the child the first try may already
// have made, instead of dispatching twice.
func ensureDispatchToken(args *structs.JobDispatchRequest) error {
	if len(args.IdempotencyToken) > maxIdempotencyToken {
		return fmt.Errorf("invalid: idempotency token is %d characters, more than %d", len(args.IdempotencyToken), maxIdempotencyToken)
	}
	if args.IdempotencyToken == "" {
		args.IdempotencyToken = "auto-" + structs.GenerateID()
	}
	return nil
}

// earlierDispatch answers with the child an earlier dispatch of parent
// made with the same token (done is true then). The same token with other
// meta or payload is a conflict: the caller reused a token for a new
// request.
func (s *Server) earlierDispatch(parent *structs.Job, args *structs.JobDispatchRequest, reply *structs.JobDispatchResponse) (bool, error) {
	child, err := s.State().DispatchedWithToken(nil, parent.Namespace, parent.ID, args.IdempotencyToken)
	if err != nil {
		return true, fmt.Errorf("dispatch job %q: %w", parent.ID, err)
	}
	if child == nil {
		return false, nil
	}
	if !bytes.Equal(child.Payload, args.Payload) || !sameDispatchMeta(parent, child, args.Meta) {
		return true, fmt.Errorf("%w: idempotency token %q was used by the dispatch of %q with other meta or payload",
			structs.ErrConflict, args.IdempotencyToken, child.ID)
	}
	reply.DispatchedJobID = child.ID
	reply.JobCreateIndex = child.CreateIndex
	reply.Index = child.CreateIndex
	reply.Existing = true
	reply.Queued = s.dispatchSlotsFull(parent)
	return true, nil
}

// sameDispatchMeta reports whether the child's meta is what dispatching
// parent with meta would give.
func sameDispatchMeta(parent, child *structs.Job, meta map[string]string) bool {
	want := maps.Clone(parent.Meta)
	if want == nil {
		want = map[string]string{}
	}
	maps.Copy(want, meta)
	have := child.Meta
	if have == nil {
		have = map[string]string{}
	}
	return maps.Equal(want, have)
}
