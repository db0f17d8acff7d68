package logging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A rotation that cannot open the next file (a full disk; here the log
// directory is gone) must not end the output for good: once the file can
// be created again, writes resume. Before, the rotator stayed closed and
// the task's output was lost until the task restarted.
func TestRotatorResumesAfterFailedRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := NewRotator(filepath.Join(dir, "t.stdout.0"), 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for i := 0; i < 1024; i++ { // fill the first file (1 MB)
		if _, err := r.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write(line); err == nil {
		t.Fatal("a write whose rotation cannot open the next file succeeded")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write([]byte("back\n")); err != nil {
		t.Fatalf("write after the directory came back: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "t.stdout.*"))
	if len(matches) != 1 {
		t.Fatalf("log files after the resume: %v, want one", matches)
	}
	data, err := os.ReadFile(matches[0])
	if err != nil || string(data) != "back\n" {
		t.Fatalf("resumed log %s holds %q (%v), want %q", matches[0], data, err, "back\n")
	}
	r.Close()
	if _, err := r.Write(line); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}
