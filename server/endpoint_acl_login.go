package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// errBadLogin answers an unknown user and a wrong password alike, so the
// answer does not tell which names exist.
var errBadLogin = errors.New("Permission denied: invalid username or password")

// maxUsedRefreshHashes bounds a session's memory of exchanged refresh
// tokens (a day of 15-minute tokens is 96). An older one reused is then
// refused as unknown rather than as reused.
const maxUsedRefreshHashes = 256

// Login logs a user in with name, password and (once enrolled) a TOTP
// code, or exchanges an outside JWT through an auth method. It is an open
// door: the lockout below and the agents' rate limit guard it.
func (a *ACL) Login(args *structs.ACLLoginRequest, reply *structs.ACLLoginResponse) error {
	if done, err := a.srv.forward(structs.ACLLoginRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	if args.AuthMethod != "" {
		return a.srv.loginWithMethod(args, reply)
	}
	if args.Username == "" || args.Password == "" {
		return fmt.Errorf("invalid: a username and a password are required (or an auth method and its JWT)")
	}
	return a.srv.loginUser(args, reply)
}

func (s *Server) loginUser(args *structs.ACLLoginRequest, reply *structs.ACLLoginResponse) error {
	s.login.mu.Lock()
	defer s.login.mu.Unlock()
	now := time.Now().UTC()
	u, err := s.State().ACLUserByName(nil, args.Username)
	if err != nil {
		return err
	}
	if u == nil {
		_, _ = checkPassword(dummyHash, args.Password)
		return errBadLogin
	}
	if u.Locked {
		return fmt.Errorf("Permission denied: user %q is locked by an operator", u.Name)
	}
	if u.IsLockedOut(now) {
		return fmt.Errorf("Permission denied: user %q is locked after repeated failed logins until %s",
			u.Name, u.LockedUntil.Format(time.RFC3339))
	}
	ok, err := checkPassword(u.PasswordHash, args.Password)
	if err != nil {
		return fmt.Errorf("user %q: %w", u.Name, err)
	}
	if !ok {
		return s.loginFailed(u, now, errBadLogin)
	}
	var step int64
	if u.TOTPEnabled {
		if args.TOTP == "" {
			// Not a failure: a client learns here that it must ask for a code.
			return fmt.Errorf("Permission denied: user %q needs a TOTP code (totp) to log in", u.Name)
		}
		if step, err = checkTOTP(u.TOTPSecret, args.TOTP, u.TOTPLastStep, s.totpTime()); err != nil {
			return s.loginFailed(u, now, err)
		}
	}
	c := *u
	c.FailedLogins, c.Lockouts, c.LockedUntil, c.LockoutDuration = 0, 0, nil, 0
	if step > 0 {
		c.TOTPLastStep = step
	}
	refresh := structs.GenerateID()
	sess := &structs.ACLLoginSession{
		ID: structs.GenerateID(), User: u.Name, CurrentHash: structs.HashSecret(refresh),
		Generation: u.Generation, ExpirationTime: now.Add(s.loginConfig().SessionTTL), CreateTime: now,
	}
	token, exp, err := s.signUserJWT(&c, sess.ID, now)
	if err != nil {
		return err
	}
	idx, err := s.raftApply(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{
		Users: []*structs.ACLUser{&c}, Sessions: []*structs.ACLLoginSession{sess}, Now: now})
	if err != nil {
		return fmt.Errorf("record login of %q: %w", u.Name, err)
	}
	s.logger.Info("user logged in", "user", u.Name, "session", sess.ID)
	fillUserLogin(reply, &c, token, exp, refresh, sess.ExpirationTime)
	reply.Index = idx
	return nil
}

func fillUserLogin(reply *structs.ACLLoginResponse, u *structs.ACLUser, token string, exp time.Time, refresh string, sessExp time.Time) {
	reply.Token, reply.TokenType, reply.ExpirationTime = token, "jwt", exp
	reply.RefreshToken, reply.RefreshExpirationTime = refresh, &sessExp
	reply.User, reply.Roles, reply.Policies = u.Name, u.Roles, u.Policies
	reply.Management = u.Type == structs.ACLTokenTypeManagement
}

// loginFailed counts a wrong password or code. The MaxFailures-th in a
// row locks the user, each lockout twice as long as the one before; the
// count lives in Raft, so it holds whichever server the next try reaches.
func (s *Server) loginFailed(u *structs.ACLUser, now time.Time, cause error) error {
	cfg := s.loginConfig()
	c := *u
	c.FailedLogins++
	err := cause
	if c.FailedLogins >= cfg.MaxFailures {
		d := cfg.LockoutBase
		for i := 0; i < c.Lockouts && d < cfg.LockoutMax; i++ {
			d *= 2
		}
		d = min(d, cfg.LockoutMax)
		until := now.Add(d)
		c.Lockouts++
		c.FailedLogins, c.LockedUntil, c.LockoutDuration = 0, &until, structs.Duration(d)
		s.logger.Warn("user locked after failed logins", "user", u.Name, "failures", cfg.MaxFailures, "lockout", d)
		err = fmt.Errorf("%v; after %d failures in a row user %q is locked for %s", cause, cfg.MaxFailures, u.Name, d)
	}
	if _, aerr := s.raftApply(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{Users: []*structs.ACLUser{&c}, Now: now}); aerr != nil {
		return fmt.Errorf("record failed login of %q: %w", u.Name, aerr)
	}
	return err
}

// LoginRefresh exchanges a refresh token for a new JWT and a new refresh
// token. Each refresh token works once: a second use means it was stolen
// (or a client is confused), and revokes the whole login session.
func (a *ACL) LoginRefresh(args *structs.ACLLoginRefreshRequest, reply *structs.ACLLoginResponse) error {
	if done, err := a.srv.forward(structs.ACLLoginRefreshRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	if args.RefreshToken == "" {
		return fmt.Errorf("invalid: refresh_token is required")
	}
	return a.srv.refreshLogin(args.RefreshToken, reply)
}

func (s *Server) refreshLogin(refresh string, reply *structs.ACLLoginResponse) error {
	s.login.mu.Lock()
	defer s.login.mu.Unlock()
	now := time.Now().UTC()
	hash := structs.HashSecret(refresh)
	sess, used, err := s.State().LoginSessionByRefreshHash(hash)
	if err != nil {
		return err
	}
	if sess == nil {
		return fmt.Errorf("Permission denied: refresh token not found or expired")
	}
	if used {
		if !sess.Revoked {
			c := *sess
			c.Revoked = true
			if _, err := s.raftApply(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{
				Sessions: []*structs.ACLLoginSession{&c}, Now: now}); err != nil {
				return fmt.Errorf("revoke login session: %w", err)
			}
		}
		s.logger.Warn("a used refresh token was presented again; login session revoked", "user", sess.User, "session", sess.ID)
		return fmt.Errorf("Permission denied: this refresh token was already used; its login session is now revoked: log in again")
	}
	u, err := s.State().ACLUserByName(nil, sess.User)
	if err != nil {
		return err
	}
	switch {
	case sess.Revoked:
		return fmt.Errorf("Permission denied: this login session was revoked: log in again")
	case !now.Before(sess.ExpirationTime):
		return fmt.Errorf("Permission denied: refresh token not found or expired")
	case u == nil || u.Generation != sess.Generation:
		return fmt.Errorf("Permission denied: this login session ended (password change, lock or deleted user): log in again")
	case u.Locked:
		return fmt.Errorf("Permission denied: user %q is locked by an operator", u.Name)
	}
	next := structs.GenerateID()
	c := *sess
	c.UsedHashes = append(append([]string(nil), sess.UsedHashes...), hash)
	if n := len(c.UsedHashes); n > maxUsedRefreshHashes {
		c.UsedHashes = c.UsedHashes[n-maxUsedRefreshHashes:]
	}
	c.CurrentHash = structs.HashSecret(next)
	token, exp, err := s.signUserJWT(u, sess.ID, now)
	if err != nil {
		return err
	}
	idx, err := s.raftApply(structs.ACLUserUpsertRequestType, &structs.ACLUserUpsertEntry{Sessions: []*structs.ACLLoginSession{&c}, Now: now})
	if err != nil {
		return fmt.Errorf("record refresh: %w", err)
	}
	fillUserLogin(reply, u, token, exp, next, sess.ExpirationTime)
	reply.Index = idx
	return nil
}

// PublicKeys answers the JSON Web Key Set that verifies login JWTs. It is
// open: public keys are for anyone who wants to check a token.
func (a *ACL) PublicKeys(args *structs.GenericRequest, reply *structs.ACLPublicKeysResponse) error {
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		keys, err := st.ACLSigningKeys(ws)
		if err != nil {
			return 0, err
		}
		reply.JWKS = publicJWKS(keys, time.Now())
		return st.Index(state.TableACLSigningKeys)
	})
}

// RotateSigningKey makes a new key sign login JWTs; the old one keeps
// verifying the tokens it signed until they expire.
func (a *ACL) RotateSigningKey(args *structs.GenericRequest, reply *structs.ACLSigningKeysResponse) error {
	if done, err := a.srv.forward(structs.ACLRotateSigningKeyRPC, false, args, reply); done {
		return err
	}
	if !a.srv.ACLEnabled() {
		return errACLDisabled
	}
	a.srv.login.mu.Lock()
	defer a.srv.login.mu.Unlock()
	key, err := a.srv.rotateSigningKey()
	if err != nil {
		return err
	}
	reply.Keys = []*structs.ACLSigningKey{key}
	reply.Index, err = a.srv.State().Index(state.TableACLSigningKeys)
	return err
}

// ListSigningKeys lists the signing keys without their private parts.
func (a *ACL) ListSigningKeys(args *structs.GenericRequest, reply *structs.ACLSigningKeysResponse) error {
	if done, err := a.srv.forward(structs.ACLListSigningKeysRPC, args.AllowStale, args, reply); done {
		return err
	}
	return a.srv.blockingRPC(&args.QueryOptions, &reply.QueryMeta, func(ws memdb.WatchSet, st *state.StateStore) (uint64, error) {
		keys, err := st.ACLSigningKeys(ws)
		if err != nil {
			return 0, err
		}
		reply.Keys = make([]*structs.ACLSigningKey, 0, len(keys))
		for _, k := range keys {
			reply.Keys = append(reply.Keys, k.Sanitize())
		}
		return st.Index(state.TableACLSigningKeys)
	})
}
