package server

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Logout ends the login session of the request's own JWT: the session is
// revoked, so that JWT, every other JWT issued under the same login and its
// refresh token are refused from now on (verifyUserJWT checks the session
// on every use). Other logins of the same user are untouched. A token that
// is not a user's login JWT (an ACL token secret) is refused: it is not a
// login and is deleted with `acl token delete` instead.
func (a *ACL) Logout(args *structs.ACLSessionRequest, reply *structs.GenericResponse) error {
	if done, err := a.srv.forward(structs.ACLLogoutRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	sess, _, err := a.srv.callerSession(args.AuthToken)
	if err != nil {
		return err
	}
	c := *sess
	c.Revoked = true
	idx, err := a.srv.raftApply(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{
		Sessions: []*structs.ACLLoginSession{&c}, Now: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("revoke login session: %w", err)
	}
	a.srv.logger.Info("user logged off; login session revoked", "user", sess.User, "session", sess.ID)
	reply.Index = idx
	return nil
}

// LoginRenew exchanges the request's own login JWT for a new one under a
// new login session, and revokes the old session in the same write (App
// Mesh's token renew: the old token stops working). The user's current
// state is checked as at login (locked, generation), but no password: the
// JWT proves the login.
func (a *ACL) LoginRenew(args *structs.ACLSessionRequest, reply *structs.ACLLoginResponse) error {
	if done, err := a.srv.forward(structs.ACLLoginRenewRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	old, u, err := a.srv.callerSession(args.AuthToken)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	revoked := *old
	revoked.Revoked = true
	refresh := structs.GenerateID()
	sess := &structs.ACLLoginSession{
		ID: structs.GenerateID(), User: u.Name, CurrentHash: structs.HashSecret(refresh),
		Generation: u.Generation, ExpirationTime: now.Add(a.srv.loginConfig().SessionTTL), CreateTime: now,
	}
	token, exp, err := a.srv.signUserJWT(u, sess.ID, now)
	if err != nil {
		return err
	}
	idx, err := a.srv.raftApply(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{
		Sessions: []*structs.ACLLoginSession{&revoked, sess}, Now: now})
	if err != nil {
		return fmt.Errorf("record token renewal of %q: %w", u.Name, err)
	}
	a.srv.logger.Info("login token renewed", "user", u.Name, "old_session", old.ID, "session", sess.ID)
	fillUserLogin(reply, u, token, exp, refresh, sess.ExpirationTime)
	reply.Index = idx
	return nil
}

// callerSession resolves the caller's login JWT to its live session and
// user. Callers hold login.mu.
func (s *Server) callerSession(raw string) (*structs.ACLLoginSession, *structs.ACLUser, error) {
	if !looksLikeJWT(raw) {
		return nil, nil, fmt.Errorf("invalid: only a user's login token (a JWT) belongs to a login session; " +
			"an ACL token is deleted with acl token delete")
	}
	claims, u, err := s.verifyUserJWT(raw)
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.State().LoginSessionByID(nil, claims.SessionID)
	if err != nil {
		return nil, nil, err
	}
	if sess == nil || sess.Revoked {
		return nil, nil, fmt.Errorf("Permission denied: login token refused: its login session ended")
	}
	return sess, u, nil
}
