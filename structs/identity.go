package structs

import (
	"fmt"
	"regexp"
	"time"
)

// DefaultIdentityName is the name of a task's identity block that has no
// name: its token is APPMESH_TOKEN and secrets/appmesh_token.
const DefaultIdentityName = "default"

// MaxIdentityTTL caps a workload identity's life: a token lives no longer
// than a day, and the client renews it while the task runs.
const MaxIdentityTTL = 24 * time.Hour

// WorkloadIdentity asks for a JWT, signed by the cluster's signing key, that
// names the task (namespace, job, allocation, task). Other services verify
// it with the keys at GET /v1/.well-known/jwks.json. It is an identity, not
// an ACL token: it grants no API access.
type WorkloadIdentity struct {
	// Name tells a task's identities apart; empty is "default". Other
	// names give APPMESH_TOKEN_<NAME> and secrets/appmesh_token_<name>.
	Name string `json:"name,omitempty"`
	// Audience is the token's aud claim.
	Audience []string `json:"aud,omitempty"`
	// Env puts the token in the task's environment.
	Env bool `json:"env,omitempty"`
	// File writes the token to the task's secrets directory (mode 0600).
	File bool `json:"file,omitempty"`
	// TTL, when set, makes the token expire; the client renews it before.
	TTL Duration `json:"ttl,omitempty"`
}

var identityNameRe = regexp.MustCompile(`^[a-zA-Z0-9_]+$`)

// IdentityName is the identity's name, "default" when empty.
func (w *WorkloadIdentity) IdentityName() string {
	if w.Name == "" {
		return DefaultIdentityName
	}
	return w.Name
}

// Validate checks one identity block.
func (w *WorkloadIdentity) Validate() error {
	v := &ValidationError{}
	if w.Name != "" && !identityNameRe.MatchString(w.Name) {
		v.Add("name", "%q may hold only letters, digits and underscores (it names an environment variable and a file)", w.Name)
	}
	switch {
	case w.TTL < 0:
		v.Add("ttl", "must not be negative, got %s", w.TTL.Std())
	case w.TTL.Std() > MaxIdentityTTL:
		v.Add("ttl", "must be at most %s, got %s", MaxIdentityTTL, w.TTL.Std())
	case w.TTL > 0 && w.TTL.Std() < time.Minute:
		v.Add("ttl", "must be at least 1m (the client renews the token before it expires), got %s", w.TTL.Std())
	}
	for i, a := range w.Audience {
		switch a {
		case "":
			v.Add(fmt.Sprintf("aud[%d]", i), "is empty")
		case "appmesh":
			// Login JWTs carry this audience; an identity must never
			// look like one.
			v.Add(fmt.Sprintf("aud[%d]", i), `"appmesh" is reserved for login tokens; name the service that will verify the token`)
		}
	}
	return v.ErrorOrNil()
}

// validateIdentities checks a task's identity blocks and that their names
// (so their variables and files) differ.
func validateIdentities(v *ValidationError, ids []*WorkloadIdentity) {
	seen := map[string]int{}
	for i, w := range ids {
		field := fmt.Sprintf("identity[%d]", i)
		if w == nil {
			v.Add(field, "is empty")
			continue
		}
		v.Merge(field, w.Validate())
		if j, dup := seen[w.IdentityName()]; dup {
			v.Add(field, "name %q is also used by identity[%d]", w.IdentityName(), j)
			continue
		}
		seen[w.IdentityName()] = i
	}
}

// copyIdentities deep-copies a task's identity blocks.
func copyIdentities(ids []*WorkloadIdentity) []*WorkloadIdentity {
	if ids == nil {
		return nil
	}
	out := make([]*WorkloadIdentity, len(ids))
	for i, w := range ids {
		if w == nil {
			continue
		}
		c := *w
		c.Audience = append([]string(nil), w.Audience...)
		out[i] = &c
	}
	return out
}

// SignedIdentity is one signed workload identity token.
type SignedIdentity struct {
	Task     string    `json:"task"`
	Name     string    `json:"name"`
	JWT      string    `json:"jwt"`
	Expires  time.Time `json:"expires,omitempty"` // zero: no expiry
	IssuedAt time.Time `json:"issued_at"`
}

// NodeSignIdentitiesRPC signs a task's workload identities for the node
// that runs it.
const NodeSignIdentitiesRPC = "Node.SignIdentities"

// SignIdentitiesRequest is a client's ask for its tasks' identities
// (Node.SignIdentities), proven by the node's secret.
type SignIdentitiesRequest struct {
	NodeID   string `json:"node_id"`
	SecretID string `json:"secret_id"`
	AllocID  string `json:"alloc_id"`
	Task     string `json:"task"`
	WriteRequest
}

// SignIdentitiesResponse holds the task's signed identities.
type SignIdentitiesResponse struct {
	Identities []*SignedIdentity `json:"identities"`
}
