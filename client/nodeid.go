package client

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// nodeIDFile holds the node's ID under the data dir. The ID is made once;
// an agent restarted with the same data dir is the same node, so the
// servers keep its allocations on it.
const nodeIDFile = "client/node-id"

// nodeSecretFile holds the node's secret next to its ID. The servers
// record its hash at the node's first registration and refuse calls for
// the node without it, so it must survive restarts as the ID does, and
// only the agent may read it.
const nodeSecretFile = "client/secret-id"

// loadOrCreateNodeID reads the persisted node ID or writes a new one.
func loadOrCreateNodeID(dataDir string) (string, error) {
	return loadOrCreate(filepath.Join(dataDir, nodeIDFile), "node id")
}

// loadOrCreateNodeSecret reads the persisted node secret or writes a new
// one. A node ID from before node secrets gets one here; the servers
// record it at the next registration.
func loadOrCreateNodeSecret(dataDir string) (string, error) {
	return loadOrCreate(filepath.Join(dataDir, nodeSecretFile), "node secret")
}

// loadOrCreate reads a random value kept in path, or makes and writes one.
func loadOrCreate(path, what string) (string, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("%s file %s is empty: remove it to get a new %s", what, path, what)
		}
		return v, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create client state dir: %w", err)
	}
	v := structs.GenerateID()
	// Write to a temporary file and rename, so that a crash never leaves a
	// half-written value behind.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", what, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write %s: %w", what, err)
	}
	return v, nil
}
