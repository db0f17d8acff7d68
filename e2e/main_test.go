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
	"runtime"
	"strings"
	"sync"
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
// Two tests taking the same n would count each other's processes (they
// run in parallel), so a second taker panics at once with both names.
func taskSleep(n int) (seconds int, marker string) {
	if n < 1 || n > 99 {
		panic(fmt.Sprintf("taskSleep(%d): n must be 1..99", n))
	}
	taskSleepMu.Lock()
	taker := callerTestName()
	if prev, ok := taskSleepTakers[n]; ok && prev != taker {
		taskSleepMu.Unlock()
		panic(fmt.Sprintf("taskSleep(%d) is taken by %s and %s: give each test its own number", n, prev, taker))
	}
	taskSleepTakers[n] = taker
	taskSleepMu.Unlock()
	seconds = runTag*100 + n
	return seconds, fmt.Sprintf("sleep %d", seconds)
}

var (
	taskSleepMu     sync.Mutex
	taskSleepTakers = map[int]string{}
)

// callerTestName is the Test function (or helper) that called taskSleep.
func callerTestName() string {
	pc := make([]uintptr, 8)
	n := runtime.Callers(3, pc)
	frames := runtime.CallersFrames(pc[:n])
	first := ""
	for {
		f, more := frames.Next()
		name := f.Function[strings.LastIndex(f.Function, "/")+1:] // e2e.TestX.func1
		name = name[strings.Index(name, ".")+1:]
		if first == "" {
			first = name
		}
		if strings.HasPrefix(name, "Test") {
			return name
		}
		if !more {
			return first
		}
	}
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
