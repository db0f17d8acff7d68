// Package cluster holds the cluster end-to-end tests: several `appmesh
// agent` processes of the real binary (servers and clients) on 127.0.0.1,
// and the same as containers on a private Docker network. They kill
// leaders and clients, cut a server off the network, save and restore
// snapshots, and check that the cluster carries on and that nothing a
// user was told had succeeded is lost.
//
// The binary under test is $APPMESH_BIN, or one built by TestMain from this
// checkout with CGO_ENABLED=0 (static, so that the Docker tests can put the
// very same file in a FROM scratch image).
package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var (
	// appmeshBin is the binary under test.
	appmeshBin string
	// moduleDir is the root of the github.com/appmesh/appmesh module.
	moduleDir string
	// runTag makes this run's task markers and agent tags unique on the
	// machine, so that concurrent runs (other checkouts, -count) never
	// see or kill each other's processes.
	runTag = 1000 + (int(time.Now().UnixNano()/1000)+os.Getpid()*7919)%8000
)

// taskSleep returns a sleep duration in seconds unique to this run and to
// n (1..999): the command line of the task process (`sleep <seconds>` or
// `/sleeper <seconds>`) identifies it in /proc for cleanup.
func taskSleep(n int) int { return 1_000_000 + runTag*1000 + n }

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	root, err := findModuleRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e/cluster: %v\n", err)
		return 1
	}
	moduleDir = root
	if bin := os.Getenv("APPMESH_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e/cluster: APPMESH_BIN=%q: %v\n", bin, err)
			return 1
		}
		appmeshBin = abs
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "appmesh-e2e-cluster-bin-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e/cluster: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "appmesh")
	if err := goBuild(bin, "github.com/appmesh/appmesh"); err != nil {
		fmt.Fprintf(os.Stderr, "e2e/cluster: building appmesh: %v\n", err)
		return 1
	}
	appmeshBin = bin
	return m.Run()
}

// goBuild builds a static binary of pkg (a package path or a directory
// relative to the module root) into out.
func goBuild(out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build -o %s %s (in %s): %v\n%s", out, pkg, moduleDir, err, buf.String())
	}
	return nil
}

// findModuleRoot walks up from the working directory to the go.mod of
// github.com/appmesh/appmesh.
func findModuleRoot() (string, error) {
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
