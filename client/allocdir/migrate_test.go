package allocdir

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeTree(t *testing.T, files map[string]string) {
	t.Helper()
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// alloc/data and the tasks' local/ directories travel; logs, secrets and
// other task files do not, nor links; a task the new allocation lacks is
// skipped.
func TestDataRoundTrip(t *testing.T) {
	src, _ := New(t.TempDir(), "old")
	writeTree(t, map[string]string{
		filepath.Join(src.SharedDir, "data", "db", "rows"):   "r1\nr2\n",
		filepath.Join(src.SharedDir, "logs", "web.stdout.0"): "log",
		filepath.Join(src.Dir, "web", "local", "cache.txt"):  "cached",
		filepath.Join(src.Dir, "web", "secrets", "token"):    "s3cr3t",
		filepath.Join(src.Dir, "gone", "local", "x"):         "x",
	})
	if err := os.Symlink("/etc/passwd", filepath.Join(src.SharedDir, "data", "link")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := src.WriteData(&buf, 1<<20); err != nil {
		t.Fatal(err)
	}
	dst, _ := New(t.TempDir(), "new")
	if err := dst.Build(); err != nil {
		t.Fatal(err)
	}
	n, err := dst.ExtractData(bytes.NewReader(buf.Bytes()), []string{"web"}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len("r1\nr2\n")+len("cached")) {
		t.Fatalf("extracted %d bytes", n)
	}
	for p, want := range map[string]string{
		filepath.Join(dst.SharedDir, "data", "db", "rows"):  "r1\nr2\n",
		filepath.Join(dst.Dir, "web", "local", "cache.txt"): "cached",
	} {
		if got, err := os.ReadFile(p); err != nil || string(got) != want {
			t.Fatalf("%s = %q, %v", p, got, err)
		}
	}
	for _, p := range []string{
		filepath.Join(dst.SharedDir, "logs", "web.stdout.0"),
		filepath.Join(dst.Dir, "web", "secrets", "token"),
		filepath.Join(dst.Dir, "gone"),
		filepath.Join(dst.SharedDir, "data", "link"),
	} {
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%s travelled", p)
		}
	}
}

func TestDataBounds(t *testing.T) {
	src, _ := New(t.TempDir(), "old")
	writeTree(t, map[string]string{filepath.Join(src.SharedDir, "data", "big"): string(make([]byte, 4096))})
	if _, err := src.WriteData(&bytes.Buffer{}, 1024); !errors.Is(err, ErrDataTooLarge) {
		t.Fatalf("sender bound: %v", err)
	}
	var buf bytes.Buffer
	if _, err := src.WriteData(&buf, 1<<20); err != nil {
		t.Fatal(err)
	}
	dst, _ := New(t.TempDir(), "new")
	if _, err := dst.ExtractData(&buf, nil, 1024); !errors.Is(err, ErrDataTooLarge) {
		t.Fatalf("receiver bound: %v", err)
	}
}

// Entries that climb out of the allocation, or name other places in it,
// are skipped.
func TestDataRefusesEscapes(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"alloc/data/../../../escape", "../escape", "/etc/escape", "web/secrets/x", "alloc/logs/x", "web/local/../../escape"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	root := t.TempDir()
	dst, _ := New(filepath.Join(root, "data"), "new")
	if _, err := dst.ExtractData(&buf, []string{"web"}, 1<<20); err != nil {
		t.Fatal(err)
	}
	var found []string
	_ = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			found = append(found, p)
		}
		return nil
	})
	if len(found) != 0 {
		t.Fatalf("escaping entries were written: %v", found)
	}
}
