package command

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/command/agent"
	"github.com/golang-jwt/jwt/v5"
	"github.com/hashicorp/go-hclog"
	"github.com/mitchellh/cli"
)

// aclAgent starts a real dev server agent with ACLs on, points the CLI at
// it with the bootstrap management token, and returns that token.
func aclAgent(t *testing.T) string {
	t.Helper()
	cfg := agent.DevConfig()
	cfg.Name = "login-cli"
	cfg.Client.Enabled = false
	cfg.ACL.Enabled = true
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freePort(t), freePort(t), freePort(t)
	a, err := agent.NewAgent(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	useAgent(t, a)
	var secret string
	waitFor(t, "bootstrap", func() (bool, string) {
		code, out, stderr := cmd("acl", "bootstrap")
		secret = kvValue(out, "Secret ID")
		return code == 0 && secret != "", stderr
	})
	t.Setenv("APPMESH_TOKEN", secret)
	return secret
}

// kvValue reads "Key   value" from formatKV output.
func kvValue(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok && (rest == "" || rest[0] == ' ') {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return f[len(f)-1]
			}
		}
	}
	return ""
}

// withStdin runs the CLI with stdin.
func withStdin(stdin string, args ...string) (int, string, string) {
	ui := cli.NewMockUi()
	ui.InputReader = strings.NewReader(stdin)
	return runCmd(ui, args...)
}

// TestUserAndLoginCommands drives users, login, lock, passwd, TOTP
// enrolment and signing keys through the CLI against a real agent.
func TestUserAndLoginCommands(t *testing.T) {
	aclAgent(t)
	policy := writeFile(t, "p.hcl", `node { policy = "read" }`)
	if code, _, stderr := cmd("acl", "policy", "apply", "node-read", policy); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := withStdin("a long enough password\n", "user", "create", "-name", "alice", "-policy", "node-read", "-password-stdin")
	if code != 0 || !strings.Contains(out, "alice") || strings.Contains(out, "argon2") {
		t.Fatalf("user create: %d %s %s", code, out, stderr)
	}
	login := func(pw string) (int, string, string) {
		return withStdin(pw+"\n", "login", "-username", "alice", "-password-stdin")
	}
	code, out, stderr = login("a long enough password")
	tok := kvValue(out, "Token")
	if code != 0 || tok == "" || kvValue(out, "Refresh Token") == "" {
		t.Fatalf("login: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cmd("node", "status", "-token", tok); code != 0 {
		t.Fatalf("node status with the login JWT: %s", stderr)
	}
	if code, out, _ := cmd("user", "list"); code != 0 || tableRow(out, "alice") == nil {
		t.Fatalf("user list: %s", out)
	}
	if code, _, stderr := cmd("user", "lock", "alice"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := cmd("node", "status", "-token", tok); code == 0 || !strings.Contains(stderr, "locked") {
		t.Fatalf("the JWT of a locked user: exit %d %s", code, stderr)
	}
	if code, _, stderr := login("a long enough password"); code != 1 || !strings.Contains(stderr, "locked by an operator") {
		t.Fatalf("login of a locked user: %d %s", code, stderr)
	}
	if code, _, stderr := cmd("user", "unlock", "alice"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := withStdin("another long password\n", "user", "passwd", "-password-stdin", "alice"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, _ := login("a long enough password"); code != 1 {
		t.Fatal("the old password still works after passwd")
	}
	if code, _, stderr := login("another long password"); code != 0 {
		t.Fatalf("login with the new password: %s", stderr)
	}
	png := filepath.Join(t.TempDir(), "qr.png")
	code, out, stderr = cmd("user", "totp", "enroll", "-qr-png", png, "-qr-terminal", "alice")
	if code != 0 || !strings.HasPrefix(kvValue(out, "URI"), "otpauth://totp/") || !strings.Contains(out, "█") {
		t.Fatalf("totp enroll: %d %s %s", code, out, stderr)
	}
	if b, err := os.ReadFile(png); err != nil || string(b[1:4]) != "PNG" {
		t.Fatalf("QR PNG: %v", err)
	}
	if code, _, stderr := cmd("user", "totp", "confirm", "alice", "12345"); code != 1 || !strings.Contains(stderr, "6 digits") {
		t.Fatalf("confirm with a short code: %d %s", code, stderr)
	}
	if code, out, stderr := cmd("acl", "signing-key", "rotate"); code != 0 || !strings.Contains(out, "New signing key") {
		t.Fatalf("rotate: %s %s", out, stderr)
	}
	if code, out, _ := cmd("acl", "signing-key", "list"); code != 0 || strings.Count(out, "EdDSA") != 2 {
		t.Fatalf("signing keys after a rotation: %s", out)
	}
	if code, _, stderr := cmd("login"); code != exitUsage || !strings.Contains(stderr, "Give one of") {
		t.Fatalf("login without a mode: %d %s", code, stderr)
	}
	if code, _, stderr := cmd("user", "delete", "alice"); code != 0 {
		t.Fatal(stderr)
	}
}

// TestAuthMethodLoginCommand: an auth method from a config file with a
// jwks_file, a binding rule, and "appmesh login -method -jwt".
func TestAuthMethodLoginCommand(t *testing.T) {
	aclAgent(t)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	jwks := `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}]}`
	if err := os.WriteFile(filepath.Join(dir, "jwks.json"), []byte(jwks), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := `{"jwks_file": "jwks.json", "bound_issuer": "https://idp.example", "bound_audiences": ["appmesh"],
	  "list_claim_mappings": {"groups": "groups"}}`
	cfgPath := filepath.Join(dir, "idp.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	policy := writeFile(t, "p.hcl", `node { policy = "read" }`)
	if code, _, stderr := cmd("acl", "policy", "apply", "node-read", policy); code != 0 {
		t.Fatal(stderr)
	}
	if code, out, stderr := cmd("acl", "auth-method", "create", "-type", "jwt", "-name", "idp", "-config", "@"+cfgPath, "-max-token-ttl", "10m"); code != 0 || kvValue(out, "JWKS") != "yes" {
		t.Fatalf("auth-method create: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cmd("acl", "binding-rule", "create", "-auth-method", "idp", "-selector", `"ops" in list.groups`, "-bind-type", "policy", "-bind-name", "node-read"); code != 0 {
		t.Fatal(stderr)
	}
	sign := func(groups ...string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "https://idp.example", "aud": "appmesh", "sub": "u1",
			"exp": time.Now().Add(time.Hour).Unix(), "groups": groups})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	code, out, stderr := cmd("login", "-method", "idp", "-jwt", sign("ops"), "-json")
	var resp struct {
		Token     string `json:"token"`
		TokenType string `json:"token_type"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &resp) != nil || resp.TokenType != "acl-token" {
		t.Fatalf("login -method: %d %s %s", code, out, stderr)
	}
	if code, _, stderr := cmd("node", "status", "-token", resp.Token); code != 0 {
		t.Fatalf("the exchanged token: %s", stderr)
	}
	if code, _, stderr := cmd("login", "-method", "idp", "-jwt", sign("sales")); code != 1 || !strings.Contains(stderr, "grants this identity anything") {
		t.Fatalf("an identity no rule binds: %d %s", code, stderr)
	}
	if code, out, _ := cmd("acl", "binding-rule", "list", "-auth-method", "idp"); code != 0 || !strings.Contains(out, "node-read") {
		t.Fatalf("binding-rule list: %s", out)
	}
}

// TestLoginCommandsUsageErrorsExit2: bad invocations are usage errors with
// help, before any request.
func TestLoginCommandsUsageErrorsExit2(t *testing.T) {
	t.Setenv("APPMESH_ADDR", "http://127.0.0.1:1") // nothing may be asked
	for _, args := range [][]string{
		{"login"},
		{"login", "-username", "a", "-method", "m"},
		{"login", "-method", "m"},
		{"user", "create"},
		{"user", "create", "-name", "a"},
		{"user", "info"},
		{"user", "passwd"},
		{"user", "lock"},
		{"user", "delete", "a", "b"},
		{"user", "totp", "confirm", "alice"},
		{"user", "totp", "enroll"},
		{"acl", "auth-method", "create", "-name", "x"},
		{"acl", "binding-rule", "create", "-auth-method", "x"},
		{"acl", "signing-key", "rotate", "extra"},
		{"user"},
		{"user", "totp", "frobnicate"},
	} {
		code, _, stderr := runCmd(cli.NewMockUi(), args...)
		if code != exitUsage || !strings.Contains(stderr, "Usage") {
			t.Errorf("%v: exit %d, want 2 with help; stderr %q", args, code, stderr)
		}
	}
}
