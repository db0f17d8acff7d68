package server

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// reapBatch bounds one Raft entry of the reaper.
const reapBatch = 256

// reapExpiredLogins is a leader duty: it deletes login sessions past their
// expiry and retired signing keys no token can need any more, so neither
// stays in memory and snapshots forever. Expired ACL tokens (auth method
// logins make one per login) are core GC's (acl_token_gc_threshold,
// core_gc.go): one owner, one threshold.
func (s *Server) reapExpiredLogins(ctx context.Context) {
	every := s.loginConfig().ReapInterval
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.reapOnce(time.Now().UTC()); err != nil && ctx.Err() == nil {
			s.logger.Warn("reaping expired login sessions and signing keys failed", "error", err)
		}
	}
}

func (s *Server) reapOnce(now time.Time) error {
	st := s.State()
	if err := s.reapSessions(st, now); err != nil {
		return err
	}
	return s.reapKeys(st, now)
}

// reapSessions writes an empty user entry at now when a session expired:
// the write drops every expired session (UpsertACLUsers).
func (s *Server) reapSessions(st *state.StateStore, now time.Time) error {
	users, err := st.ACLUsers(nil)
	if err != nil || len(users) == 0 {
		return err
	}
	s.login.mu.Lock()
	defer s.login.mu.Unlock()
	for _, u := range users {
		if has, err := st.HasExpiredLoginSession(u.Name, now); err != nil || !has {
			if err != nil {
				return err
			}
			continue
		}
		_, err := s.raftApply(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{Now: now})
		return err
	}
	return nil
}

func (s *Server) reapKeys(st *state.StateStore, now time.Time) error {
	keys, err := st.ACLSigningKeys(nil)
	if err != nil {
		return err
	}
	var del []string
	for _, k := range keys {
		if !k.Active && k.ExpireTime != nil && now.After(*k.ExpireTime) {
			del = append(del, k.KeyID)
		}
	}
	if len(del) == 0 {
		return nil
	}
	s.login.mu.Lock()
	defer s.login.mu.Unlock()
	_, err = s.raftApply(structs.ACLSigningKeysRequestType, &structs.ACLSigningKeysEntry{Delete: del})
	return err
}
