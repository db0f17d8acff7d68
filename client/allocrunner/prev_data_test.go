package allocrunner

import (
	"os"
	"path/filepath"
	"testing"
)

// moveData hands a previous allocation's data over an empty directory;
// a missing source is nothing to move; a non-empty target is refused.
func TestMoveData(t *testing.T) {
	root := t.TempDir()
	src, dst := filepath.Join(root, "old", "data"), filepath.Join(root, "new", "data")
	for _, d := range []string{src, dst} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := moveData(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "f")); err != nil || string(b) != "kept" {
		t.Fatalf("moved file = %q, %v", b, err)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Fatalf("source still there: %v", err)
	}
	if err := moveData(filepath.Join(root, "none"), dst); err != nil {
		t.Fatalf("missing source: %v", err)
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := moveData(src, dst); err == nil {
		t.Fatal("moving over a non-empty directory succeeded")
	}
}
