package allocdir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAllocDir_Layout(t *testing.T) {
	root := t.TempDir()
	d, err := New(root, "abc")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Build(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, "alloc", "abc", "alloc", "logs")); err != nil || !fi.IsDir() {
		t.Fatalf("log dir missing: %v", err)
	}
	dir, err := d.BuildTaskDir("web")
	if err != nil || dir != filepath.Join(root, "alloc", "abc", "web") {
		t.Fatalf("task dir %q, %v", dir, err)
	}
	if got := d.LogPath("web", LogStdout); got != filepath.Join(root, "alloc", "abc", "alloc", "logs", "web.stdout.0") {
		t.Fatalf("log path %q", got)
	}
}

func TestCheckPathElem(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "a/b", `a\b`, "../x"} {
		if CheckPathElem(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
		if _, err := New(t.TempDir(), bad); err == nil {
			t.Errorf("New accepted alloc id %q", bad)
		}
	}
	if err := CheckPathElem("web-1.x"); err != nil {
		t.Error(err)
	}
}
