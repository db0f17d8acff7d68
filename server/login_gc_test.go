package server

import (
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// TestLogin_ReaperDeletesExpired: the leader deletes expired login sessions
// and retired signing keys past their tokens' life, and leaves the live ones.
// Expired ACL tokens are left to core GC and its threshold
// (TestCoreGC_ExpiredACLTokens).
func TestLogin_ReaperDeletesExpired(t *testing.T) {
	s, mgmt := loginServer(t, func(c *Config) {
		c.Login = LoginConfig{ReapInterval: 50 * time.Millisecond, SessionTTL: 500 * time.Millisecond, TokenTTL: 300 * time.Millisecond, RetiredKeyTTL: 300 * time.Millisecond}
	})
	short := clientToken(t, s, mgmt, "short", `node { policy = "read" }`, 300*time.Millisecond)
	out, err := login(s, "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	var first structs.ACLSigningKeysResponse
	list := &structs.GenericRequest{}
	list.AuthToken = mgmt
	if err := s.RPC(structs.ACLListSigningKeysRPC, list, &first); err != nil || len(first.Keys) != 1 {
		t.Fatalf("keys: %+v %v", first.Keys, err)
	}
	if err := s.RPC(structs.ACLRotateSigningKeyRPC, list, &structs.ACLSigningKeysResponse{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the expired login session to be deleted", func() bool {
		sess, _, _ := s.State().LoginSessionByRefreshHash(structs.HashSecret(out.RefreshToken))
		return sess == nil
	})
	waitFor(t, "the retired signing key to be deleted", func() bool {
		k, _ := s.State().ACLSigningKeyByID(nil, first.Keys[0].KeyID)
		return k == nil
	})
	if tok, _ := s.State().ACLTokenBySecretHash(nil, structs.HashSecret(mgmt)); tok == nil {
		t.Fatal("the reaper deleted the management token, which never expires")
	}
	if tok, _ := s.State().ACLTokenBySecretHash(nil, structs.HashSecret(short)); tok == nil {
		t.Fatal("the reaper deleted an expired token before core GC's threshold")
	}
	keys, _ := s.State().ACLSigningKeys(nil)
	if len(keys) != 1 || !keys[0].Active {
		t.Fatalf("the active key is gone: %+v", keys)
	}
}
