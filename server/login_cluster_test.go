package server

import (
	"fmt"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// aclCluster starts n servers with ACLs on, like testCluster.
func aclCluster(t *testing.T, n int) []*Server {
	t.Helper()
	gossip := make([]string, n)
	for i := range gossip {
		gossip[i] = freeAddr(t)
	}
	servers := make([]*Server, n)
	for i := range servers {
		servers[i] = testServerNoWait(t, func(c *Config) {
			c.NodeName = fmt.Sprintf("s%d", i+1)
			c.DataDir = t.TempDir()
			c.BootstrapExpect = n
			c.GossipAddr = gossip[i]
			c.Join = []string{gossip[0]}
			c.ACLEnabled = true
		})
	}
	waitFor(t, "one leader known by all", func() bool {
		l := servers[0].Leader()
		for _, s := range servers {
			if l == "" || s.Leader() != l {
				return false
			}
		}
		return true
	})
	return servers
}

// TestLoginCluster_LockoutAndRevocationHoldOnEveryServer: failures sent to
// different followers add up to one lockout, known by every server; a JWT
// from one server works on the others; a refresh token used on one server
// is refused as reused on another.
func TestLoginCluster_LockoutAndRevocationHoldOnEveryServer(t *testing.T) {
	servers := aclCluster(t, 3)
	leader, followers := leaderOf(servers)
	if leader == nil {
		t.Fatal("no leader")
	}
	mgmt, err := bootstrap(t, followers[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &structs.ACLPolicyUpsertRequest{Policies: []*structs.ACLPolicy{{Name: "node-read", Rules: `node { policy = "read" }`}}}
	p.AuthToken = mgmt.SecretID
	if err := followers[1].RPC(structs.ACLUpsertPoliciesRPC, p, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	createUser(t, followers[0], mgmt.SecretID, "alice", testPassword)
	createUser(t, followers[0], mgmt.SecretID, "bob", testPassword)

	out, err := login(followers[0], "alice", testPassword, "")
	if err != nil {
		t.Fatal(err)
	}
	// A follower checks the JWT against its own copy of the state, which
	// may not have applied the login's writes yet: wait for it, and say
	// what it answered if it never accepts.
	for i, s := range servers {
		var lastErr error
		t.Cleanup(func() {
			if t.Failed() && lastErr != nil {
				t.Logf("server %d's last answer to the JWT: %v", i, lastErr)
			}
		})
		waitFor(t, fmt.Sprintf("server %d to accept a JWT issued through another", i), func() bool {
			lastErr = listNodes(s, out.Token)
			return lastErr == nil
		})
	}
	if _, err := refresh(followers[1], out.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, err = refresh(followers[0], out.RefreshToken)
	wantRefused(t, "a refresh token reused on another server", err, "already used")

	for i := 0; i < 5; i++ {
		_, err := login(servers[i%3], "bob", "wrong password", "")
		wantRefused(t, "wrong password", err, "invalid username")
	}
	for i, s := range servers {
		_, err := login(s, "bob", testPassword, "")
		wantRefused(t, fmt.Sprintf("locked-out bob through server %d", i), err, "locked after repeated failed logins")
		waitFor(t, "the lockout to reach the server", func() bool {
			u, _ := s.State().ACLUserByName(nil, "bob")
			return u != nil && u.Lockouts == 1
		})
	}
}
