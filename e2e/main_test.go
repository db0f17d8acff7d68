// Package e2e holds end-to-end tests: they start the real appmesh binary as
// an agent process and drive it through the CLI and the HTTP API, exactly as
// a user or a script would.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// appmeshBin is the binary under test: $APPMESH_BIN, or one built by
// TestMain from this checkout.
var appmeshBin string

// runTag makes this run's task markers unique on the machine, so that
// concurrent runs of the suite (other checkouts, -count) do not see each
// other's processes.
var runTag = 100000 + (int(time.Now().UnixNano()/1000)+os.Getpid()*7919)%800000

// taskSleep returns a sleep duration in seconds unique to this run and to
// the test's number n (1..99), and the marker findProcs looks for: the
// command line of an exec'd `sleep <seconds>`.
func taskSleep(n int) (seconds int, marker string) {
	seconds = runTag*100 + n
	return seconds, fmt.Sprintf("sleep %d", seconds)
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if bin := os.Getenv("APPMESH_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: APPMESH_BIN=%q: %v\n", bin, err)
			return 1
		}
		if _, err := os.Stat(abs); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: APPMESH_BIN=%q does not exist: %v\n", bin, err)
			return 1
		}
		appmeshBin = abs
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "appmesh-e2e-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := buildBinary(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building appmesh: %v\n", err)
		return 1
	}
	appmeshBin = bin
	return m.Run()
}

// buildBinary builds github.com/appmesh/appmesh into dir, from the module
// root found above the working directory.
func buildBinary(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "appmesh")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/appmesh/appmesh")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build in %s: %v\n%s", root, err, out.String())
	}
	return bin, nil
}

// moduleRoot walks up from the working directory to the go.mod of
// github.com/appmesh/appmesh.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module github.com/appmesh/appmesh\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of github.com/appmesh/appmesh above the working directory")
		}
		dir = parent
	}
}
