package server

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/golang-jwt/jwt/v5"
)

// defaultAuthAlgs are the algorithms an auth method accepts unless its
// config names others. Only asymmetric ones exist here: an HMAC key would
// be a shared secret, and "none" is no signature.
var defaultAuthAlgs = []string{"RS256", "ES256", "EdDSA"}

var allowedAuthAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true, "PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true, "EdDSA": true,
}

// authKey is one public key of an auth method; kid is empty for PEM keys.
type authKey struct {
	kid string
	key crypto.PublicKey
}

// authMethodKeys parses the method's PEM keys and JWKS.
func authMethodKeys(cfg *structs.JWTAuthConfig) ([]authKey, error) {
	var out []authKey
	for i, p := range cfg.JWTValidationPubKeys {
		k, err := parsePEMPublicKey(p)
		if err != nil {
			return nil, fmt.Errorf("jwt_validation_pub_keys[%d]: %w", i, err)
		}
		out = append(out, authKey{key: k})
	}
	if cfg.JWKS != "" {
		var set structs.JWKS
		if err := json.Unmarshal([]byte(cfg.JWKS), &set); err != nil {
			return nil, fmt.Errorf("jwks: not a JSON Web Key Set: %w", err)
		}
		for i, j := range set.Keys {
			k, err := parseJWK(j)
			if err != nil {
				return nil, fmt.Errorf("jwks key %d (kid %q): %w", i, j.KeyID, err)
			}
			out = append(out, authKey{kid: j.KeyID, key: k})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no keys: give jwt_validation_pub_keys (PEM) or a JWKS (jwks or jwks_file)")
	}
	return out, nil
}

func parsePEMPublicKey(s string) (crypto.PublicKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, errors.New("not a PEM block")
	}
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	}
	return nil, fmt.Errorf("PEM block %q is not a public key or certificate", block.Type)
}

// parseJWK reads an RSA, EC (P-256/384/521) or Ed25519 public JWK.
func parseJWK(j structs.JWK) (crypto.PublicKey, error) {
	dec := func(s string) (*big.Int, error) {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("bad base64url value")
		}
		return new(big.Int).SetBytes(b), nil
	}
	switch j.KeyType {
	case "RSA":
		n, err := dec(j.N)
		if err != nil {
			return nil, fmt.Errorf("n: %w", err)
		}
		e, err := dec(j.E)
		if err != nil || !e.IsInt64() {
			return nil, errors.New("e: bad exponent")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	case "EC":
		curves := map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()}
		c, ok := curves[j.Curve]
		if !ok {
			return nil, fmt.Errorf("curve %q is not supported", j.Curve)
		}
		x, err := dec(j.X)
		if err != nil {
			return nil, fmt.Errorf("x: %w", err)
		}
		y, err := dec(j.Y)
		if err != nil {
			return nil, fmt.Errorf("y: %w", err)
		}
		if !c.IsOnCurve(x, y) {
			return nil, errors.New("the point is not on the curve")
		}
		return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
	case "OKP":
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(j.X, "="))
		if j.Curve != "Ed25519" || err != nil || len(b) != ed25519.PublicKeySize {
			return nil, errors.New("only Ed25519 OKP keys with a 32-byte x are supported")
		}
		return ed25519.PublicKey(b), nil
	}
	return nil, fmt.Errorf("key type %q is not supported (RSA, EC or OKP)", j.KeyType)
}

// validateAuthConfig checks a JWT auth method's config before it is stored.
func validateAuthConfig(cfg *structs.JWTAuthConfig) error {
	if cfg == nil {
		return errors.New("invalid: the auth method needs a config")
	}
	if _, err := authMethodKeys(cfg); err != nil {
		return fmt.Errorf("invalid: %w", err)
	}
	for _, alg := range cfg.SigningAlgs {
		if !allowedAuthAlgs[alg] {
			return fmt.Errorf("invalid: signing algorithm %q is not accepted: use RS*, PS*, ES* or EdDSA", alg)
		}
	}
	for claim, name := range cfg.ClaimMappings {
		if claim == "" || !selectorName.MatchString(name) {
			return fmt.Errorf("invalid: claim mapping %q -> %q: the name must be letters, digits, '_' or '-'", claim, name)
		}
	}
	for claim, name := range cfg.ListClaimMappings {
		if claim == "" || !selectorName.MatchString(name) {
			return fmt.Errorf("invalid: list claim mapping %q -> %q: the name must be letters, digits, '_' or '-'", claim, name)
		}
	}
	if cfg.ClockSkewLeeway < 0 || cfg.ClockSkewLeeway.Std() > 10*time.Minute {
		return errors.New("invalid: clock_skew_leeway must be between 0 and 10m")
	}
	return nil
}

// verifyOutsideJWT checks an identity provider's JWT against a method's
// config: signature by one of its keys (by kid when the token names one and
// the key set has kids), an accepted algorithm, expiry (required), and the
// bound issuer and audiences.
func verifyOutsideJWT(cfg *structs.JWTAuthConfig, raw string) (jwt.MapClaims, error) {
	keys, err := authMethodKeys(cfg)
	if err != nil {
		return nil, err
	}
	keyfunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		var set jwt.VerificationKeySet
		for _, k := range keys {
			if kid == "" || k.kid == "" || k.kid == kid {
				set.Keys = append(set.Keys, k.key)
			}
		}
		if len(set.Keys) == 0 {
			return nil, fmt.Errorf("unknown key %q", kid)
		}
		return set, nil
	}
	algs := cfg.SigningAlgs
	if len(algs) == 0 {
		algs = defaultAuthAlgs
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(algs), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.ClockSkewLeeway.Std())}
	if cfg.BoundIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.BoundIssuer))
	}
	if len(cfg.BoundAudiences) > 0 {
		opts = append(opts, jwt.WithAudience(cfg.BoundAudiences...))
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(raw, claims, keyfunc, opts...); err != nil {
		return nil, fmt.Errorf("Permission denied: the identity provider's token was refused: %s", jwtReason(err))
	}
	return claims, nil
}

// mappedClaims are what binding rules see: value.NAME and list.NAME.
type mappedClaims struct {
	values map[string]string
	lists  map[string][]string
}

func mapClaims(cfg *structs.JWTAuthConfig, claims jwt.MapClaims) mappedClaims {
	m := mappedClaims{values: map[string]string{}, lists: map[string][]string{}}
	for path, name := range cfg.ClaimMappings {
		switch v := claimAt(claims, path).(type) {
		case string:
			m.values[name] = v
		case float64, bool, json.Number:
			m.values[name] = fmt.Sprint(v)
		}
	}
	for path, name := range cfg.ListClaimMappings {
		switch v := claimAt(claims, path).(type) {
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					m.lists[name] = append(m.lists[name], s)
				}
			}
		case string:
			m.lists[name] = []string{v}
		}
	}
	return m
}

// claimAt follows a dotted path ("realm_access.roles") into the claims.
func claimAt(claims map[string]any, path string) any {
	if v, ok := claims[path]; ok {
		return v
	}
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

var (
	selectorName   = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	selectorEquals = regexp.MustCompile(`^value\.([A-Za-z0-9_-]+)\s*(==|!=)\s*"([^"]*)"$`)
	selectorIn     = regexp.MustCompile(`^"([^"]*)"\s+in\s+list\.([A-Za-z0-9_-]+)$`)
	bindVar        = regexp.MustCompile(`\$\{value\.([A-Za-z0-9_-]+)\}`)
)

// selectorMatches evaluates a binding rule's selector: empty matches every
// login; otherwise every clause joined by "and" must hold.
func selectorMatches(sel string, m mappedClaims) (bool, error) {
	sel = strings.TrimSpace(sel)
	if sel == "" {
		return true, nil
	}
	for _, clause := range strings.Split(sel, " and ") {
		clause = strings.TrimSpace(clause)
		if g := selectorEquals.FindStringSubmatch(clause); g != nil {
			v, ok := m.values[g[1]]
			if (g[2] == "==") != (ok && v == g[3]) {
				return false, nil
			}
			continue
		}
		if g := selectorIn.FindStringSubmatch(clause); g != nil {
			found := false
			for _, e := range m.lists[g[2]] {
				found = found || e == g[1]
			}
			if !found {
				return false, nil
			}
			continue
		}
		return false, fmt.Errorf(`invalid: selector clause %q: use value.NAME == "x", value.NAME != "x" or "x" in list.NAME, joined by "and"`, clause)
	}
	return true, nil
}

// bindName fills ${value.NAME} in a rule's bind name; ok is false when a
// named value is missing (the rule then binds nothing).
func bindName(name string, m mappedClaims) (string, bool) {
	ok := true
	out := bindVar.ReplaceAllStringFunc(name, func(v string) string {
		val, found := m.values[bindVar.FindStringSubmatch(v)[1]]
		ok = ok && found
		return val
	})
	return out, ok
}
