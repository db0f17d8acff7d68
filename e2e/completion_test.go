package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// runWithEnv runs the built binary with extra environment variables and
// returns its stdout, stderr and exit code.
func runWithEnv(t *testing.T, env []string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok && ctx.Err() == nil {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("appmesh %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// TestAutocompleteInstall: `appmesh -autocomplete-install` with HOME set
// to an empty directory writes bash's `complete -C <binary> appmesh` into
// ~/.bashrc (and zsh's lines into an existing ~/.zshrc), once; the line
// makes the binary answer completions; -autocomplete-uninstall removes it.
func TestAutocompleteInstall(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".zshrc"), []byte("# mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + home, "SHELL=/bin/bash", "COMP_LINE=", "COMP_POINT="}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(home, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	bin, err := filepath.Abs(appmeshBin)
	if err != nil {
		t.Fatal(err)
	}
	bashLine := "complete -C " + bin + " appmesh"

	if r := runWithEnv(t, env, "-autocomplete-install"); r.code != 0 {
		t.Fatalf("-autocomplete-install: want exit 0\n%s", r)
	}
	if got := read(".bashrc"); got != bashLine+"\n" {
		t.Errorf("~/.bashrc after install = %q, want %q", got, bashLine+"\n")
	}
	wantZsh := "# mine\nautoload -U +X bashcompinit && bashcompinit\ncomplete -o nospace -C " + bin + " appmesh\n"
	if got := read(".zshrc"); got != wantZsh {
		t.Errorf("~/.zshrc after install = %q, want %q", got, wantZsh)
	}
	// Twice: nothing added.
	if r := runWithEnv(t, env, "-autocomplete-install"); r.code != 0 || strings.Count(read(".bashrc"), "complete -C") != 1 {
		t.Errorf("second install: exit %d, ~/.bashrc %q\n%s", r.code, read(".bashrc"), r)
	}

	// What bash does with that line: run the binary with COMP_LINE.
	for line, want := range map[string][]string{
		"appmesh jo":                 {"job"},
		"appmesh job r":              {"revert", "run"},
		"appmesh agent -conf":        {"-config"},
		"appmesh agent -log-level D": {"DEBUG"},
	} {
		r := runWithEnv(t, []string{"COMP_LINE=" + line, "COMP_POINT=" + strconv.Itoa(len(line))}, "appmesh", "x", "appmesh")
		got := strings.Fields(r.stdout)
		sort.Strings(got)
		if r.code != 0 || strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("completing %q: exit %d, got %v, want %v\n%s", line, r.code, got, want, r)
		}
	}

	if r := runWithEnv(t, env, "-autocomplete-uninstall"); r.code != 0 {
		t.Fatalf("-autocomplete-uninstall: want exit 0\n%s", r)
	}
	if got := read(".bashrc"); strings.Contains(got, "complete") {
		t.Errorf("~/.bashrc after uninstall = %q", got)
	}
	if got := read(".zshrc"); strings.Contains(got, "complete -o nospace") || !strings.HasPrefix(got, "# mine\n") {
		t.Errorf("~/.zshrc after uninstall = %q, want the user's line kept and ours gone", got)
	}
}
