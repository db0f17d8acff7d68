package server

import (
	"fmt"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// ensureRegisterToken checks the caller's idempotency token, or gives the
// request one when it has none. Like ensureDispatchToken it runs on the
// first server the request reaches, before forwarding, so forward's
// retry against the next leader carries the same token.
func ensureRegisterToken(args *structs.JobRegisterRequest) error {
	if len(args.IdempotencyToken) > maxIdempotencyToken {
		return fmt.Errorf("invalid: idempotency token is %d characters, more than %d", len(args.IdempotencyToken), maxIdempotencyToken)
	}
	if args.IdempotencyToken == "" {
		args.IdempotencyToken = "auto-" + structs.GenerateID()
	}
	return nil
}

// earlierRegister answers with what the register that last wrote stored
// (done is true then) when it carried the same token as this request. The
// same token with another specification is a conflict: the caller reused
// a token for a new request. Only the last register's token is kept, so a
// token older than the job's last register is not recognized.
func earlierRegister(stored, job *structs.Job, token string, reply *structs.JobRegisterResponse) (bool, error) {
	if stored == nil || stored.LastRegister == nil || stored.LastRegister.Token != token {
		return false, nil
	}
	if !sameRegisterSpec(stored, job) {
		return true, fmt.Errorf("%w: idempotency token %q was used by an earlier register of job %q with another specification",
			structs.ErrConflict, token, job.ID)
	}
	r := stored.LastRegister
	reply.EvalID = r.EvalID
	reply.EvalCreateIndex = r.Index
	reply.JobModifyIndex = r.JobModifyIndex
	reply.Index = r.Index
	reply.Existing = true
	return true, nil
}

// sameRegisterSpec compares the submitted specifications. Stop is left
// out: a `job stop` after the first register does not make its retry a
// different request.
func sameRegisterSpec(stored, job *structs.Job) bool {
	a, b := *stored, *job
	a.Stop, b.Stop = false, false
	return state.SpecEqual(&a, &b)
}

// registerAnswer fills reply after this server's register was applied.
// When the FSM dropped it (a retry with the same token committed first),
// the stored record is the answer, or a conflict if its spec differs.
func (s *Server) registerAnswer(job *structs.Job, eval *structs.Evaluation, index uint64, reply *structs.JobRegisterResponse) error {
	stored, err := s.State().JobByID(nil, job.Namespace, job.ID)
	if err != nil || stored == nil {
		return fmt.Errorf("register job %q: read back: %v", job.ID, err)
	}
	if r := stored.LastRegister; r != nil && r.Token == job.LastRegister.Token && r.EvalID != eval.ID {
		_, err := earlierRegister(stored, job, r.Token, reply)
		return err
	}
	reply.EvalID = eval.ID
	reply.EvalCreateIndex = index
	reply.JobModifyIndex = stored.JobModifyIndex
	reply.Index = index
	return nil
}
