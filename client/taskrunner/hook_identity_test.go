package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/allocdir"
	"github.com/appmesh/appmesh/drivers/rawexec"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// countingSigner stands in for the servers' Node.SignIdentities (tested
// against a real server in server/identity_sign_test.go): the n-th call
// returns tokens "<name>-<n>" that live for life.
type countingSigner struct {
	mu    sync.Mutex
	calls int
	life  time.Duration
	fail  error
}

func (s *countingSigner) sign(_ context.Context, allocID, task string) ([]*structs.SignedIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	s.calls++
	now := time.Now()
	return []*structs.SignedIdentity{
		{Task: task, Name: "default", JWT: fmt.Sprintf("default-%d", s.calls), IssuedAt: now, Expires: now.Add(s.life)},
		{Task: task, Name: "db", JWT: fmt.Sprintf("db-%d", s.calls), IssuedAt: now},
	}, nil
}

func newIdentityRunner(t *testing.T, script string, signer IdentitySigner) (*TaskRunner, *allocdir.AllocDir) {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: testWriter{t}})
	alloc := &structs.Allocation{ID: structs.GenerateID(), JobID: "job", TaskGroup: "group"}
	dir, err := allocdir.New(t.TempDir(), alloc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Build(); err != nil {
		t.Fatal(err)
	}
	task := &structs.Task{
		Name: "web", Driver: rawexec.Name,
		Config:      map[string]any{"command": "/bin/sh", "args": []any{"-c", script}},
		KillTimeout: structs.Duration(2 * time.Second),
		Identities: []*structs.WorkloadIdentity{
			{Env: true, File: true, TTL: structs.Duration(time.Hour)},
			{Name: "db", Env: true},
		},
	}
	tr, err := New(&Config{Alloc: alloc, Task: task, AllocDir: dir, Drivers: oneDriver{rawexec.New(logger)},
		Logger: logger, Identities: signer})
	if err != nil {
		t.Fatal(err)
	}
	return tr, dir
}

// The task starts with its tokens in the environment and the file, and the
// file is replaced with a renewed token while it runs.
func TestIdentityHook_EnvFileAndRenewal(t *testing.T) {
	signer := &countingSigner{life: 600 * time.Millisecond}
	tr, dir := newIdentityRunner(t, `echo "env=$APPMESH_TOKEN db=$APPMESH_TOKEN_DB"; test -e secrets/appmesh_token_db && echo db-file; sleep 60`, signer.sign)
	runAsync(t, tr)
	file := filepath.Join(dir.TaskDir("web"), "secrets", "appmesh_token")
	waitUntil(t, "the task to print its tokens", func() bool {
		out, _ := os.ReadFile(dir.LogPath("web", allocdir.LogStdout))
		return strings.Contains(string(out), "env=default-1 db=db-1\n")
	})
	if out, _ := os.ReadFile(dir.LogPath("web", allocdir.LogStdout)); strings.Contains(string(out), "db-file") {
		t.Error("the db identity (file = false) was written to a file")
	}
	waitUntil(t, "the file token to be renewed twice", func() bool {
		b, _ := os.ReadFile(file)
		var n int
		_, err := fmt.Sscanf(string(b), "default-%d", &n)
		return err == nil && n >= 3
	})
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	tr.Kill("test over")
	<-tr.WaitCh()
	signer.mu.Lock()
	after := signer.calls
	signer.mu.Unlock()
	// The renewal loop is stopped with the task: no call after it ended.
	time.Sleep(time.Second) // a window of more than one renewal period, to see that none happens
	signer.mu.Lock()
	defer signer.mu.Unlock()
	if signer.calls != after {
		t.Errorf("signer called %d times after the task stopped", signer.calls-after)
	}
}

// A task whose identities cannot be signed does not start.
func TestIdentityHook_SignFailureFailsStart(t *testing.T) {
	signer := &countingSigner{fail: errors.New("Permission denied: allocation x is not on node y")}
	tr, _ := newIdentityRunner(t, `echo started`, signer.sign)
	go tr.Run()
	waitDone(t, tr, 30*time.Second)
	st := tr.State()
	ev := hasEvent(st, structs.TaskEventSetupFailure)
	if ev == nil || !strings.Contains(ev.Message+ev.Error, "not on node") {
		t.Fatalf("state %+v: want a setup failure naming the signer's error", st)
	}
}
