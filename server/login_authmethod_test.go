package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/golang-jwt/jwt/v5"
)

// idp is a fake identity provider with a real ECDSA key.
type idp struct {
	key *ecdsa.PrivateKey
	kid string
}

func newIDP(t *testing.T) *idp {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &idp{key: k, kid: "idp-key-1"}
}

func (p *idp) pem(t *testing.T) string {
	der, err := x509.MarshalPKIXPublicKey(&p.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (p *idp) jwks() string {
	b := func(i interface{ Bytes() []byte }) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	set := structs.JWKS{Keys: []structs.JWK{{KeyType: "EC", Curve: "P-256", X: b(p.key.X), Y: b(p.key.Y), KeyID: p.kid}}}
	out, _ := json.Marshal(set)
	return string(out)
}

func (p *idp) sign(t *testing.T, claims jwt.MapClaims, kid string) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	out, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func goodIDPClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"iss": "https://idp.example", "aud": []string{"appmesh"}, "sub": "dev-42",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "team": "ops", "groups": []string{"eng", "oncall"}}
}

func upsertMethod(t *testing.T, s *Server, mgmt string, m *structs.ACLAuthMethod) error {
	t.Helper()
	args := &structs.ACLAuthMethodUpsertRequest{Method: m}
	args.AuthToken = mgmt
	return s.RPC(structs.ACLUpsertAuthMethodRPC, args, &structs.ACLAuthMethodResponse{})
}

func upsertRule(t *testing.T, s *Server, mgmt string, r *structs.ACLBindingRule) {
	t.Helper()
	args := &structs.ACLBindingRuleUpsertRequest{Rule: r}
	args.AuthToken = mgmt
	if err := s.RPC(structs.ACLUpsertBindingRuleRPC, args, &structs.ACLBindingRuleResponse{}); err != nil {
		t.Fatalf("binding rule: %v", err)
	}
}

func methodLogin(s *Server, method, token string) (*structs.ACLLoginResponse, error) {
	var out structs.ACLLoginResponse
	err := s.RPC(structs.ACLLoginRPC, &structs.ACLLoginRequest{AuthMethod: method, JWT: token}, &out)
	return &out, err
}

// TestAuthMethod_JWTLoginAndForgeries: an identity provider's JWT is
// exchanged for an expiring ACL token holding what the binding rules
// grant; forged or mis-bound tokens are refused.
func TestAuthMethod_JWTLoginAndForgeries(t *testing.T) {
	s, mgmt := loginServer(t, nil)
	p := newIDP(t)
	role := &structs.ACLRoleUpsertRequest{Roles: []*structs.ACLRole{{Name: "ops", Policies: []string{"node-read"}}}}
	role.AuthToken = mgmt
	if err := s.RPC(structs.ACLUpsertRolesRPC, role, &structs.ACLRoleUpsertResponse{}); err != nil {
		t.Fatal(err)
	}
	cfg := func() *structs.JWTAuthConfig {
		return &structs.JWTAuthConfig{BoundIssuer: "https://idp.example", BoundAudiences: []string{"appmesh"},
			ClaimMappings: map[string]string{"team": "team"}, ListClaimMappings: map[string]string{"groups": "groups"}}
	}
	pemCfg, jwksCfg := cfg(), cfg()
	pemCfg.JWTValidationPubKeys = []string{p.pem(t)}
	jwksCfg.JWKS = p.jwks()
	for name, c := range map[string]*structs.JWTAuthConfig{"idp-pem": pemCfg, "idp-jwks": jwksCfg} {
		if err := upsertMethod(t, s, mgmt, &structs.ACLAuthMethod{Name: name, Type: "jwt", MaxTokenTTL: structs.Duration(30 * time.Minute), Config: c}); err != nil {
			t.Fatal(err)
		}
		upsertRule(t, s, mgmt, &structs.ACLBindingRule{AuthMethod: name, Selector: `"eng" in list.groups`, BindType: "role", BindName: "${value.team}"})
	}
	good := p.sign(t, goodIDPClaims(), p.kid)
	for _, method := range []string{"idp-pem", "idp-jwks"} {
		out, err := methodLogin(s, method, good)
		if err != nil {
			t.Fatalf("%s login: %v", method, err)
		}
		if out.TokenType != "acl-token" || len(out.Roles) != 1 || out.Roles[0] != "ops" || time.Until(out.ExpirationTime) > 31*time.Minute {
			t.Fatalf("%s login answer: %+v", method, out)
		}
		if err := listNodes(s, out.Token); err != nil {
			t.Fatalf("%s token cannot read nodes: %v", method, err)
		}
	}

	claims := func(mut func(jwt.MapClaims)) jwt.MapClaims { c := goodIDPClaims(); mut(c); return c }
	none := jwt.NewWithClaims(jwt.SigningMethodNone, goodIDPClaims())
	noneToken, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, goodIDPClaims())
	hs.Header["kid"] = p.kid
	hsToken, _ := hs.SignedString([]byte(p.pem(t)))
	other := newIDP(t)
	cases := []struct{ name, method, token, want string }{
		{"expired", "idp-pem", p.sign(t, claims(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), p.kid), "expired"},
		{"no expiry", "idp-pem", p.sign(t, claims(func(c jwt.MapClaims) { delete(c, "exp") }), p.kid), "required claim"},
		{"alg none", "idp-pem", noneToken, "bad signature or algorithm"},
		{"HS256 with the public key", "idp-pem", hsToken, "bad signature or algorithm"},
		{"another key", "idp-pem", other.sign(t, goodIDPClaims(), p.kid), "bad signature"},
		{"wrong issuer", "idp-pem", p.sign(t, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }), p.kid), "wrong issuer"},
		{"wrong audience", "idp-pem", p.sign(t, claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" }), p.kid), "wrong audience"},
		{"wrong kid", "idp-jwks", p.sign(t, goodIDPClaims(), "other-kid"), "unknown key"},
		{"no binding matches", "idp-pem", p.sign(t, claims(func(c jwt.MapClaims) { c["groups"] = []string{"sales"} }), p.kid), "grants this identity anything"},
		{"bound role missing", "idp-pem", p.sign(t, claims(func(c jwt.MapClaims) { c["team"] = "nobody" }), p.kid), "grants this identity anything"},
		{"unknown method", "nope", good, "does not exist"},
	}
	before, _ := s.State().Index("acl_tokens")
	for _, c := range cases {
		_, err := methodLogin(s, c.method, c.token)
		wantRefused(t, c.name, err, c.want)
	}
	if after, _ := s.State().Index("acl_tokens"); after != before {
		t.Fatal("a refused auth method login wrote a token")
	}
}

// TestAuthMethod_BadConfigRefused: keys that do not parse, HMAC or "none"
// algorithms and bad selectors are refused before they are stored.
func TestAuthMethod_BadConfigRefused(t *testing.T) {
	s, mgmt := loginServer(t, nil)
	p := newIDP(t)
	for want, c := range map[string]*structs.JWTAuthConfig{
		"no keys":                   {},
		"not a PEM block":           {JWTValidationPubKeys: []string{"hello"}},
		`signing algorithm "HS256"`: {JWTValidationPubKeys: []string{p.pem(t)}, SigningAlgs: []string{"HS256"}},
		`signing algorithm "none"`:  {JWTValidationPubKeys: []string{p.pem(t)}, SigningAlgs: []string{"none"}},
		"not a JSON Web Key Set":    {JWKS: "{"},
		`key type "oct"`:            {JWKS: `{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`},
	} {
		err := upsertMethod(t, s, mgmt, &structs.ACLAuthMethod{Name: "m", Type: "jwt", Config: c})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %+v: %v, want %q", c, err, want)
		}
	}
	if err := upsertMethod(t, s, mgmt, &structs.ACLAuthMethod{Name: "m", Type: "jwt", Config: &structs.JWTAuthConfig{JWTValidationPubKeys: []string{p.pem(t)}}}); err != nil {
		t.Fatal(err)
	}
	args := &structs.ACLBindingRuleUpsertRequest{Rule: &structs.ACLBindingRule{AuthMethod: "m", Selector: "team = ops", BindType: "role", BindName: "x"}}
	args.AuthToken = mgmt
	if err := s.RPC(structs.ACLUpsertBindingRuleRPC, args, &structs.ACLBindingRuleResponse{}); err == nil || !strings.Contains(err.Error(), "selector clause") {
		t.Fatalf("a bad selector: %v", err)
	}
}
