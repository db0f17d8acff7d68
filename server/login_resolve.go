package server

import (
	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/structs"
)

// resolveUserJWT turns a user's login JWT into an ACL: the user's current
// roles and policies (not the ones the token lists, so a change applies at
// once). The cache key includes the user, session and key tables, so a
// lock, password change, deletion or revoked session drops it.
func (s *Server) resolveUserJWT(raw string, version uint64) (*acl.ACL, *structs.ACLToken, error) {
	hash := structs.HashSecret(raw)
	if r := s.aclCache.get(version, hash); r != nil {
		if r.token.IsExpired(time.Now()) {
			return nil, nil, errTokenExpired
		}
		return r.acl, r.token, nil
	}
	claims, u, err := s.verifyUserJWT(raw)
	if err != nil {
		return nil, nil, err
	}
	exp := claims.ExpiresAt.Time
	token := &structs.ACLToken{
		AccessorID: structs.UserAccessorPrefix + u.Name, Name: u.Name, Type: u.Type,
		Policies: u.Policies, Roles: u.Roles, ExpirationTime: &exp, CreateTime: claims.IssuedAt.Time,
	}
	if version, err = aclTablesVersion(s.State()); err != nil {
		return nil, nil, err
	}
	a, err := s.compileToken(s.State(), version, token)
	if err != nil {
		return nil, nil, err
	}
	s.aclCache.put(version, hash, &resolved{acl: a, token: token})
	return a, token, nil
}
