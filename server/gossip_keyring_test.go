package server

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/tlsutil"
)

func newGossipKey(t *testing.T) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// memberAlive reports whether s's gossip sees name alive.
func memberAlive(s *Server, name string) bool {
	for _, m := range s.Members() {
		if m.Name == name && m.Status == "alive" {
			return true
		}
	}
	return false
}

// A server with another gossip key, or none, never becomes a member of an
// encrypted cluster, however long it keeps trying.
func TestGossipEncryption_WrongKeyNeverJoins(t *testing.T) {
	pki := newTestPKI(t)
	servers, gossip := secureCluster(t, pki, 2, newGossipKey(t))
	for _, tc := range []struct{ name, key string }{{"wrong-key", newGossipKey(t)}, {"no-key", ""}} {
		stranger := testServerNoWait(t, func(c *Config) {
			c.NodeName = tc.name
			c.DataDir = t.TempDir()
			c.BootstrapExpect = 3
			c.GossipAddr = freeAddr(t)
			c.Join = []string{gossip[0], gossip[1]}
			c.TLS = pki.store(tlsutil.RoleServer, tc.name)
			c.GossipKey = tc.key
		})
		// Its join is retried every second; give it several tries.
		deadline := time.Now().Add(4 * time.Second)
		for time.Now().Before(deadline) {
			for _, s := range servers {
				if memberAlive(s, tc.name) {
					t.Fatalf("%s: a server with %s joined the encrypted gossip", s.config.NodeName, tc.name)
				}
			}
			if memberAlive(stranger, "s1") || memberAlive(stranger, "s2") {
				t.Fatalf("the server with %s sees the cluster's members", tc.name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// The keyring is rotated on every server without a restart; a server that
// only knows the new key joins afterwards, and a restarted server keeps
// the rotated keyring over its -encrypt.
func TestGossipKeyring_RotateWithoutRestart(t *testing.T) {
	pki := newTestPKI(t)
	oldKey, newKey := newGossipKey(t), newGossipKey(t)
	servers, gossip := secureCluster(t, pki, 3, oldKey)
	waitFor(t, "every server sees the others", func() bool {
		for _, s := range servers {
			if !memberAlive(s, "s1") || !memberAlive(s, "s2") || !memberAlive(s, "s3") {
				return false
			}
		}
		return true
	})
	op := func(via *Server, op, key string) *structs.KeyringResponse {
		t.Helper()
		var reply structs.KeyringResponse
		if err := via.RPC(structs.KeyringRPC, &structs.KeyringRequest{Op: op, Key: key}, &reply); err != nil {
			t.Fatalf("keyring %s: %v", op, err)
		}
		if len(reply.Servers) != 3 {
			t.Fatalf("keyring %s answered for %d servers, want 3: %+v", op, len(reply.Servers), reply.Servers)
		}
		for _, r := range reply.Servers {
			if r.Error != "" {
				t.Fatalf("keyring %s on %s: %s", op, r.Server, r.Error)
			}
		}
		return &reply
	}
	op(servers[1], structs.KeyringInstall, newKey)
	op(servers[2], structs.KeyringUse, newKey)
	// The primary cannot be removed: that would cut the server off.
	var reply structs.KeyringResponse
	if err := servers[0].RPC(structs.KeyringRPC, &structs.KeyringRequest{Op: structs.KeyringRemove, Key: newKey}, &reply); err != nil || reply.Servers[0].Error == "" {
		t.Fatalf("removing the primary key: %v %+v, want a refusal on every server", err, reply.Servers)
	}
	op(servers[0], structs.KeyringRemove, oldKey)
	for _, r := range op(servers[0], structs.KeyringList, "").Servers {
		if len(r.Keys) != 1 || r.Keys[0] != newKey {
			t.Fatalf("%s holds %v after the rotation, want only the new key", r.Server, r.Keys)
		}
	}
	var saved []string
	data, err := os.ReadFile(filepath.Join(servers[1].config.DataDir, keyringFileName))
	if err != nil || json.Unmarshal(data, &saved) != nil || len(saved) != 1 || saved[0] != newKey {
		t.Fatalf("saved keyring %q (%v), want only the new key", data, err)
	}

	late := testServerNoWait(t, func(c *Config) {
		c.NodeName = "late"
		c.DataDir = t.TempDir()
		c.BootstrapExpect = 3
		c.GossipAddr = freeAddr(t)
		c.Join = []string{gossip[0]}
		c.TLS = pki.store(tlsutil.RoleServer, "late")
		c.GossipKey = newKey
	})
	waitFor(t, "a server with the new key joins", func() bool { return memberAlive(servers[0], "late") && memberAlive(late, "s1") })

	// Restart s3 with the old -encrypt: the saved keyring wins.
	s3 := servers[2]
	cfg := *s3.config
	if err := s3.Shutdown(); err != nil {
		t.Fatal(err)
	}
	cfg.Logger = testLogger(t)
	restarted, err := NewServer(&cfg)
	if err != nil {
		t.Fatalf("restart s3: %v", err)
	}
	t.Cleanup(func() { _ = restarted.Shutdown() })
	waitFor(t, "the restarted server rejoins with the saved keyring", func() bool {
		return memberAlive(servers[0], "s3") && memberAlive(restarted, "s1") && restarted.Leader() != ""
	})
}
