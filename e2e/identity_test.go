package e2e

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestWorkloadIdentity runs a job file in Nomad's syntax whose task has
// `identity { env = true  file = true }` on a dev agent. The task prints
// its APPMESH_TOKEN, its secrets/appmesh_token file and that file's mode;
// the test checks both are the same JWT, that it verifies with the key
// GET /v1/.well-known/jwks.json publishes, and that its claims name the
// task. A changed token must not verify.
func TestWorkloadIdentity(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	job := writeFile(t, "ident.hcl", `job "ident" {
  datacenters = ["*"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo \"env=$APPMESH_TOKEN\"; echo \"file=$(cat secrets/appmesh_token)\"; echo \"mode=$(stat -c %a secrets/appmesh_token)\""]
      }
      identity {
        env  = true
        file = true
        aud  = ["e2e-service"]
        ttl  = "1h"
      }
    }
  }
}
`)
	if v := a.cli("job validate", job); v.code != 0 {
		t.Fatalf("job validate: %s", v)
	}
	if run := a.cli("job run", job); run.code != 0 {
		a.fatalf("job run ident: %s", run)
	}
	allocs := a.waitAllocs("ident", "a complete allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "complete", describeAllocs(al)
	})
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(a.taskLogs(allocs[0].ID, "t")), "\n") {
		k, v, _ := strings.Cut(line, "=")
		out[k] = v
	}
	if out["env"] == "" || out["env"] != out["file"] {
		t.Fatalf("APPMESH_TOKEN %q and secrets/appmesh_token %q: want the same token", out["env"], out["file"])
	}
	if out["mode"] != "600" {
		t.Errorf("secrets/appmesh_token has mode %s, want 600", out["mode"])
	}

	var jwks struct {
		Keys []struct {
			KeyID string `json:"kid"`
			X     string `json:"x"`
			Curve string `json:"crv"`
		} `json:"keys"`
	}
	if r := a.getJSON("/v1/.well-known/jwks.json", &jwks); r.status != http.StatusOK {
		t.Fatalf("GET jwks: %d %s", r.status, r.body)
	}
	keyFn := func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		for _, k := range jwks.Keys {
			if k.KeyID == kid && k.Curve == "Ed25519" {
				x, err := base64.RawURLEncoding.DecodeString(k.X)
				return ed25519.PublicKey(x), err
			}
		}
		return nil, jwt.ErrTokenUnverifiable
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(out["env"], claims, keyFn, jwt.WithValidMethods([]string{"EdDSA"}),
		jwt.WithAudience("e2e-service"), jwt.WithExpirationRequired()); err != nil {
		t.Fatalf("the task's token does not verify with the JWKS: %v", err)
	}
	want := map[string]string{
		"sub": "default:ident:g:t", "appmesh_namespace": "default", "appmesh_job_id": "ident",
		"appmesh_allocation_id": allocs[0].ID, "appmesh_task": "t",
	}
	for k, v := range want {
		if got, _ := claims[k].(string); got != v {
			b, _ := json.Marshal(claims)
			t.Errorf("claim %s = %q, want %q (claims %s)", k, got, v, b)
		}
	}
	// The same check refuses a token whose claims were changed.
	parts := strings.Split(out["env"], ".")
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"default:other:g:t","aud":"e2e-service"}`)) + "." + parts[2]
	if _, err := jwt.Parse(forged, keyFn, jwt.WithValidMethods([]string{"EdDSA"})); err == nil {
		t.Error("a token with changed claims verified against the JWKS")
	}
}
