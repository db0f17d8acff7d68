package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startupRun runs `appmesh agent args...` expected to fail at start-up,
// with TMPDIR set to tmp so that the dev data directories it makes can be
// counted afterwards.
func startupRun(t *testing.T, tmp string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, append([]string{"agent"}, args...)...)
	cmd.Env = append(cleanEnv(), "TMPDIR="+tmp)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		res.code = exitErr.ExitCode()
	default:
		t.Fatalf("appmesh agent %s did not exit: %v\n%s", strings.Join(args, " "), err, res)
	}
	return res
}

// checkStartupFailure asserts exit code 1, the one plain error line, no Go
// panic and no dev data directory left behind in tmp.
func checkStartupFailure(t *testing.T, what string, res cliResult, tmp, want string) {
	t.Helper()
	if res.code != 1 {
		t.Errorf("%s: exit code %d, want 1\n%s", what, res.code, res)
	}
	if !strings.Contains(res.stderr, want) {
		t.Errorf("%s: stderr lacks %q\n%s", what, want, res)
	}
	for _, bad := range []string{"panic", "goroutine ", "listen tcp", "bind:"} {
		if strings.Contains(res.stderr, bad) {
			t.Errorf("%s: stderr has %q, want one plain message\n%s", what, bad, res)
		}
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "appmesh-dev-*"))
	if len(left) > 0 {
		t.Errorf("%s: dev data directories left behind: %v", what, left)
	}
}

// TestAgentStartupErrors is `make dev` twice, and the other ways an agent
// cannot start: each prints one plain message and exits 1, without a panic
// and without leaving its temporary dev directory behind.
func TestAgentStartupErrors(t *testing.T) {
	first := startAgent(t, agentOptions{dev: true})
	tmp := t.TempDir()

	t.Run("http port in use", func(t *testing.T) {
		res := startupRun(t, tmp, "-dev", "-http-port", strconv.Itoa(first.ports.HTTP),
			"-rpc-port", strconv.Itoa(freePorts(t, 1)[0]))
		checkStartupFailure(t, "second dev agent", res, tmp,
			fmt.Sprintf("listen on 127.0.0.1:%d: address already in use", first.ports.HTTP))
	})
	t.Run("rpc port in use", func(t *testing.T) {
		res := startupRun(t, tmp, "-dev", "-http-port", strconv.Itoa(freePorts(t, 1)[0]),
			"-rpc-port", strconv.Itoa(first.ports.RPC))
		checkStartupFailure(t, "dev agent on a used RPC port", res, tmp,
			fmt.Sprintf("listen on 127.0.0.1:%d: address already in use", first.ports.RPC))
	})
	t.Run("data dir locked", func(t *testing.T) {
		p := freePorts(t, 3)
		res := startupRun(t, tmp, "-server", "-client", "-bind", "127.0.0.1", "-data-dir", first.dataDir,
			"-http-port", strconv.Itoa(p[0]), "-rpc-port", strconv.Itoa(p[1]), "-gossip-port", strconv.Itoa(p[2]))
		checkStartupFailure(t, "second agent on the same data dir", res, tmp,
			fmt.Sprintf("data dir %s is locked by another agent (pid %d)", first.dataDir, first.cmd.Process.Pid))
	})
	t.Run("bad config", func(t *testing.T) {
		cfg := writeFile(t, "agent.hcl", "server {\n  enabled = maybe\n}\n")
		res := startupRun(t, tmp, "-dev", "-config", cfg)
		checkStartupFailure(t, "bad config file", res, tmp, "agent.hcl")
	})
	t.Run("stale dev dir of a killed agent is removed", func(t *testing.T) {
		stale := filepath.Join(tmp, "appmesh-dev-stale")
		if err := os.MkdirAll(filepath.Join(stale, "client"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stale, "agent.lock"), []byte("999999\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := os.Chtimes(stale, old, old); err != nil {
			t.Fatal(err)
		}
		// This start fails (port in use) after the sweep has run.
		res := startupRun(t, tmp, "-dev", "-http-port", strconv.Itoa(first.ports.HTTP))
		checkStartupFailure(t, "dev agent beside a dead one's directory", res, tmp, "address already in use")
	})
	// The first agent still runs and still serves.
	if ok, why := first.ready(); !ok {
		t.Errorf("the running agent was disturbed: %s", why)
	}
}
