package taskrunner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/structs"
)

// IdentitySigner asks the servers to sign a task's workload identities
// (Node.SignIdentities, proven by the node's secret).
type IdentitySigner func(ctx context.Context, allocID, task string) ([]*structs.SignedIdentity, error)

// identityRetryMax bounds the wait between renewal attempts that failed.
const identityRetryMax = 30 * time.Second

// identityHook gives the task its workload identity tokens before it
// starts (APPMESH_TOKEN and/or secrets/appmesh_token) and, for those with
// a ttl, writes a renewed token to the file while the task runs. The
// environment of a running process cannot change, so an env-only token
// with a ttl is renewed at the task's next start only.
type identityHook struct {
	tr   *TaskRunner
	sign IdentitySigner

	mu      sync.Mutex
	taskDir string
	tokens  []*structs.SignedIdentity
	cancel  context.CancelFunc
	done    chan struct{}
}

// identityHookFor returns the identity hook of a task, or nil.
func identityHookFor(tr *TaskRunner, sign IdentitySigner) hook {
	if len(tr.task.Identities) == 0 {
		return nil
	}
	return &identityHook{tr: tr, sign: sign}
}

func (h *identityHook) Name() string { return "identity" }

// identityEnvName is the variable of an identity: APPMESH_TOKEN for the
// default one, APPMESH_TOKEN_<NAME> for the others.
func identityEnvName(name string) string {
	if name == structs.DefaultIdentityName {
		return "APPMESH_TOKEN"
	}
	return "APPMESH_TOKEN_" + strings.ToUpper(name)
}

// identityFile is an identity's file inside the task directory.
func identityFile(name string) string {
	if name == structs.DefaultIdentityName {
		return filepath.Join("secrets", "appmesh_token")
	}
	return filepath.Join("secrets", "appmesh_token_"+name)
}

func (h *identityHook) Prestart(ctx context.Context, cfg *drivers.TaskConfig) error {
	if h.sign == nil {
		return errors.New("identity: this client cannot ask the servers for workload identities")
	}
	tokens, err := h.sign(ctx, h.tr.alloc.ID, h.tr.task.Name)
	if err != nil {
		return fmt.Errorf("identity: sign the task's workload identities: %w", err)
	}
	if err := h.apply(cfg.TaskDir, tokens); err != nil {
		return err
	}
	for _, w := range h.tr.task.Identities {
		if !w.Env {
			continue
		}
		for _, t := range tokens {
			if t.Name == w.IdentityName() {
				if cfg.Env == nil {
					cfg.Env = map[string]string{}
				}
				cfg.Env[identityEnvName(t.Name)] = t.JWT
			}
		}
	}
	return nil
}

// apply writes the file = true tokens and remembers all of them.
func (h *identityHook) apply(taskDir string, tokens []*structs.SignedIdentity) error {
	for _, w := range h.tr.task.Identities {
		if !w.File {
			continue
		}
		for _, t := range tokens {
			if t.Name == w.IdentityName() {
				if err := writeSecretFile(taskDir, identityFile(t.Name), t.JWT); err != nil {
					return fmt.Errorf("identity %q: %w", t.Name, err)
				}
			}
		}
	}
	h.mu.Lock()
	h.taskDir, h.tokens = taskDir, tokens
	h.mu.Unlock()
	return nil
}

// writeSecretFile replaces a file of the task directory atomically with
// mode 0600. A renewed file keeps the owner of the one it replaces, which
// the executor handed to the task's user at start.
func writeSecretFile(taskDir, rel, text string) error {
	dir := filepath.Join(taskDir, filepath.Dir(rel))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(rel), err)
	}
	dest := filepath.Join(taskDir, rel)
	f, err := os.CreateTemp(dir, ".token-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.WriteString(text)
	}
	if fi, serr := os.Lstat(dest); err == nil && serr == nil && fi.Mode().IsRegular() {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
			err = f.Chown(int(st.Uid), int(st.Gid))
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), dest)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}

func (h *identityHook) Poststart(context.Context, *drivers.TaskHandle) error {
	h.startRenew(false)
	return nil
}

// Reattached renews at once: the tokens on disk are not known to this
// agent, which may have been down past their renewal time.
func (h *identityHook) Reattached(context.Context) {
	h.mu.Lock()
	h.taskDir = h.tr.allocDir.TaskDir(h.tr.task.Name)
	h.mu.Unlock()
	h.startRenew(true)
}

func (h *identityHook) Exited(context.Context, *drivers.ExitResult) error { h.stopRenew(); return nil }
func (h *identityHook) Stop(context.Context) error                        { h.stopRenew(); return nil }
func (h *identityHook) PreKill(context.Context)                           { h.stopRenew() }

// renewing reports whether any file = true identity has a ttl.
func (h *identityHook) renewing() bool {
	for _, w := range h.tr.task.Identities {
		if w.File && w.TTL > 0 {
			return true
		}
	}
	return false
}

func (h *identityHook) startRenew(now bool) {
	h.stopRenew()
	if h.sign == nil || !h.renewing() {
		return
	}
	ctx, cancel := context.WithCancel(h.tr.ctx)
	done := make(chan struct{})
	h.mu.Lock()
	h.cancel, h.done = cancel, done
	h.mu.Unlock()
	go func() {
		defer close(done)
		h.renewLoop(ctx, now)
	}()
}

// stopRenew ends the renewal loop and waits for it.
func (h *identityHook) stopRenew() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel, h.done = nil, nil
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// renewLoop signs new tokens when half the life of the soonest expiring
// one has passed, and retries failures with a growing wait until ctx ends.
func (h *identityHook) renewLoop(ctx context.Context, now bool) {
	retry := time.Second
	wait := time.Duration(0)
	if !now {
		wait = h.nextRenewal()
	}
	for ctxsleep.Sleep(ctx, wait) {
		tokens, err := h.sign(ctx, h.tr.alloc.ID, h.tr.task.Name)
		if err == nil {
			h.mu.Lock()
			dir := h.taskDir
			h.mu.Unlock()
			err = h.apply(dir, tokens)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			h.tr.logger.Warn("workload identity renewal failed; retrying", "task", h.tr.task.Name, "retry_in", retry, "error", err)
			wait, retry = retry, min(retry*2, identityRetryMax)
			continue
		}
		h.tr.logger.Debug("workload identities renewed", "task", h.tr.task.Name)
		retry, wait = time.Second, h.nextRenewal()
	}
}

// nextRenewal is how long until half the life of the soonest expiring
// token has passed.
func (h *identityHook) nextRenewal() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	next := time.Duration(-1)
	for _, t := range h.tokens {
		if t.Expires.IsZero() {
			continue
		}
		at := t.IssuedAt.Add(t.Expires.Sub(t.IssuedAt) / 2)
		if d := time.Until(at); next < 0 || d < next {
			next = d
		}
	}
	if next < 0 {
		return 0
	}
	return next
}
