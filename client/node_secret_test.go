package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
)

func newSecretTestClient(t *testing.T, srv *server.Server, dataDir string) *Client {
	t.Helper()
	logger := testLogger(t)
	c, err := New(&Config{NodeName: "secret-node", DataDir: dataDir, Logger: logger, RPC: srv,
		Drivers:             NewInProcessDriverManager(map[string]drivers.Driver{rawexec.Name: rawexec.New(logger)}),
		KillTasksOnShutdown: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A client makes its node secret once and keeps it across restarts, so the
// restarted client registers again as the same node; a client that has
// the node's ID but not its secret is refused.
func TestClient_NodeSecretSurvivesRestart(t *testing.T) {
	srv := startRealServer(t)
	dataDir := t.TempDir()

	first := newSecretTestClient(t, srv, dataDir)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	<-first.registered
	id, secret := first.NodeID(), first.SecretID()
	if secret == "" || secret == id {
		t.Fatalf("node secret %q", secret)
	}
	node, _ := srv.State().NodeByID(nil, id)
	if node == nil || node.SecretHash != structs.HashSecret(secret) {
		t.Fatal("the server did not record the node secret's hash")
	}
	if fi, err := os.Stat(filepath.Join(dataDir, nodeSecretFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v, %v", fi, err)
	}
	if err := first.Shutdown(); err != nil {
		t.Fatal(err)
	}

	again := newSecretTestClient(t, srv, dataDir)
	t.Cleanup(func() { _ = again.Shutdown() })
	if again.NodeID() != id || again.SecretID() != secret {
		t.Fatal("the restarted client has another node ID or secret")
	}
	if _, err := again.register(); err != nil {
		t.Fatalf("the restarted client's registration: %v", err)
	}
	if _, err := again.heartbeat(); err != nil {
		t.Fatalf("the restarted client's heartbeat: %v", err)
	}

	// Same node ID, another secret: another machine claiming the node.
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, "client"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, nodeIDFile), []byte(id+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	impostor := newSecretTestClient(t, srv, other)
	t.Cleanup(func() { _ = impostor.Shutdown() })
	if impostor.SecretID() == secret {
		t.Fatal("two data dirs made the same secret")
	}
	_, err := impostor.register()
	if err == nil || !strings.Contains(err.Error(), "Permission denied: node secret does not match node "+id) {
		t.Fatalf("registration with the node's ID and another secret: %v", err)
	}
}
