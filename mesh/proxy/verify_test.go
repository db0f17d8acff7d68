package proxy

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/mesh/ca"
)

func TestVerifyPeer(t *testing.T) {
	root := newTestCA(t, "root")
	other := newTestCA(t, "other")
	roots, err := ca.PoolFromPEM([]string{root.certPEM})
	if err != nil {
		t.Fatal(err)
	}
	chain := func(certPEM, keyPEM string) [][]byte {
		pair, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM))
		if err != nil {
			t.Fatal(err)
		}
		return pair.Certificate
	}
	good := chain(root.Leaf(t, testTD, "prod", "api"))
	now := time.Now()
	if id, err := verifyPeer(good, roots, testTD, now); err != nil || id != "spiffe://"+testTD+"/ns/prod/svc/api" {
		t.Fatalf("good leaf: %q %v", id, err)
	}
	for _, tc := range []struct {
		name  string
		chain [][]byte
		now   time.Time
		want  string
	}{
		{"another CA", chain(other.Leaf(t, testTD, "prod", "api")), now, "unknown authority"},
		{"another trust domain", chain(root.Leaf(t, "elsewhere.appmesh", "prod", "api")), now, "outside the trust domain"},
		{"expired", good, now.Add(48 * time.Hour), "expired"},
		{"no certificate", nil, now, "no certificate"},
	} {
		if _, err := verifyPeer(tc.chain, roots, testTD, tc.now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := ca.PoolFromPEM([]string{"not pem"}); err == nil {
		t.Error("a bundle without certificates was accepted")
	}
	// One entry holding two roots (a rotation's old and new, as a bundle)
	// trusts leaves of both.
	both, err := ca.PoolFromPEM([]string{root.certPEM + other.certPEM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifyPeer(chain(other.Leaf(t, testTD, "prod", "api")), both, testTD, now); err != nil {
		t.Errorf("leaf of the second root of a bundle: %v", err)
	}
}

func TestBindAddrDefaultsToLoopback(t *testing.T) {
	for in, want := range map[string]string{
		":9191":        "127.0.0.1:9191",
		"9191":         "127.0.0.1:9191",
		"127.0.0.2:80": "127.0.0.2:80",
		"[::1]:80":     "[::1]:80",
		"127.0.0.1:0":  "127.0.0.1:0",
	} {
		if got := bindAddr(in); got != want {
			t.Errorf("bindAddr(%q) = %q, want %q", in, got, want)
		}
	}
}
