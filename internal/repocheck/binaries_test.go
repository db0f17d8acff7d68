package repocheck

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// binaryMagic are the first bytes of the executable formats Go can build:
// ELF, Mach-O (both byte orders, 32 and 64 bit). A PE file starts with
// "MZ", which text can too, so it is checked apart with its PE header.
var binaryMagic = [][]byte{
	{0x7f, 'E', 'L', 'F'},
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
}

// isBinary tells whether the head of a file is a compiled executable.
func isBinary(head []byte) bool {
	for _, m := range binaryMagic {
		if bytes.HasPrefix(head, m) {
			return true
		}
	}
	if len(head) >= 0x40 && head[0] == 'M' && head[1] == 'Z' {
		off := int(head[0x3c]) | int(head[0x3d])<<8
		return off+4 <= len(head) && string(head[off:off+4]) == "PE\x00\x00"
	}
	return false
}

// readHead returns up to n bytes from the start of path.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:k], nil
}

// TestNoTrackedBinaries fails when git tracks a compiled program: built
// binaries belong in bin/ or .cache/, which .gitignore keeps out. Two were
// once committed (the agent at the root, 19 MB, and the example driver).
func TestNoTrackedBinaries(t *testing.T) {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("skipped: not inside a git checkout (git rev-parse: %v), so there is no tracked file to check", err)
	}
	root := strings.TrimSpace(string(top))
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	if len(files) < 10 {
		t.Fatalf("git ls-files listed %d files; expected the whole repository", len(files))
	}
	for _, f := range files {
		p := filepath.Join(root, f)
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink
		}
		head, err := readHead(p, 1024)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		if isBinary(head) {
			t.Errorf("git tracks the compiled binary %s: `git rm --cached %s` and add it to .gitignore", f, f)
		}
	}
}

// TestIsBinary checks the detector on a real executable (this test's own
// binary) and on text, so the check above cannot pass by seeing nothing.
func TestIsBinary(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	head, err := readHead(self, 1024)
	if err != nil {
		t.Fatalf("read own binary: %v", err)
	}
	if !isBinary(head) {
		t.Fatalf("the test binary %s was not recognised as a binary (head % x)", self, head[:8])
	}
	for _, text := range []string{"package main\n", "MZ is how this line starts\n" + strings.Repeat("x", 100), "#!/bin/sh\n"} {
		if isBinary([]byte(text)) {
			t.Errorf("text %q taken for a binary", text[:10])
		}
	}
}
