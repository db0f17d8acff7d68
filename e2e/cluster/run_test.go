package cluster

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runCLI runs `appmesh run ARGS...` against agent a with stdin, returning
// stdout, stderr and the exit code.
func runCLIStdin(t *testing.T, a *procAgent, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, append([]string{"run"}, args...)...)
	cmd.Env = append(os.Environ(), "APPMESH_ADDR="+a.api.base)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		return stdout.String(), stderr.String(), exitErr.ExitCode()
	}
	t.Fatalf("appmesh run %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	return "", "", 0
}

// TestRemoteRunAcrossNodes: a run placed on another node than the agent
// the CLI talks to gets its stdin through the servers (a server-only
// agent, and a client-only agent that forwards to a server) and its output
// and exit code back.
func TestRemoteRunAcrossNodes(t *testing.T) {
	t.Parallel()
	_, servers, _, c2, _ := serverAndTwoClients(t, 3000)
	script := "read x; echo got:$x; echo err >&2; exit 7"
	for _, via := range []*procAgent{servers[0], c2} {
		stdout, stderr, code := runCLIStdin(t, via, "hello-"+via.name+"\n", "-node", "c1", "--", "/bin/sh", "-c", script)
		if code != 7 || !strings.Contains(stdout, "got:hello-"+via.name) || !strings.Contains(stderr, "err") {
			t.Fatalf("run on c1 through %s: exit %d\nstdout: %s\nstderr: %s", via.name, code, stdout, stderr)
		}
	}
}
