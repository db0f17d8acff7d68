package cluster

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptyResult is what a CLI run on a terminal printed and its exit code.
type ptyResult struct {
	out  string
	code int
}

// cliOnPTY runs the appmesh CLI against an agent with a new pseudo-terminal
// as its stdin, stdout and stderr, as a person at a terminal would. When
// the output contains waitFor, input is typed.
func cliOnPTY(t *testing.T, a *procAgent, waitFor, input string, args ...string) ptyResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, appmeshBin, args...)
	cmd.Env = append(os.Environ(), "APPMESH_ADDR="+a.api.base, "TERM=xterm")
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 31, Cols: 93})
	if err != nil {
		t.Fatalf("start the CLI on a pty: %v", err)
	}
	defer ptmx.Close()
	var mu sync.Mutex
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	snapshot := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(snapshot(), waitFor) {
		if time.Now().After(deadline) {
			t.Fatalf("%v: never printed %q; output %q", args, waitFor, snapshot())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := io.WriteString(ptmx, input); err != nil {
		t.Fatalf("type into the pty: %v", err)
	}
	werr := cmd.Wait()
	select {
	case <-readDone:
	case <-time.After(5 * time.Second):
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(werr, &ee) {
		code = ee.ExitCode()
	} else if werr != nil {
		t.Fatalf("%v: %v", args, werr)
	}
	return ptyResult{out: snapshot(), code: code}
}
