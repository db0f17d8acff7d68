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

// loadOrCreateNodeID reads the persisted node ID or writes a new one.
func loadOrCreateNodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, nodeIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if id == "" {
			return "", fmt.Errorf("node id file %s is empty: remove it to get a new node id", path)
		}
		return id, nil
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("read node id: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create client state dir: %w", err)
	}
	id := structs.GenerateID()
	// Write to a temporary file and rename, so that a crash never leaves a
	// half-written ID behind.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}
