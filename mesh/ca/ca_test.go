package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

const td = "global.appmesh"

func mustRoot(t *testing.T, domain string, now time.Time) *Root {
	t.Helper()
	r, err := NewRoot(domain, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustLeaf(t *testing.T, root *Root, req LeafRequest) (*Leaf, string) {
	t.Helper()
	keyPEM, csrPEM, err := NewKeyAndCSR("ignored-subject")
	if err != nil {
		t.Fatal(err)
	}
	req.CSRPEM = csrPEM
	leaf, err := SignLeaf(root.CertPEM, root.KeyPEM, req)
	if err != nil {
		t.Fatal(err)
	}
	return leaf, keyPEM
}

func der(t *testing.T, certPEM string) []byte {
	t.Helper()
	c, err := ParseCertPEM(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return c.Raw
}

func TestNewRoot(t *testing.T) {
	now := time.Now()
	r := mustRoot(t, td, now)
	c, err := ParseCertPEM(r.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsCA || !c.MaxPathLenZero {
		t.Errorf("root: IsCA=%v MaxPathLenZero=%v", c.IsCA, c.MaxPathLenZero)
	}
	if k, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("root key is %T, want ECDSA P-256", c.PublicKey)
	}
	if got := c.NotAfter.Sub(now); got < 9*365*24*time.Hour {
		t.Errorf("root validity %v, want about 10 years", got)
	}
	if len(c.URIs) != 1 || c.URIs[0].String() != "spiffe://"+td {
		t.Errorf("root URIs %v", c.URIs)
	}
	if len(c.PermittedURIDomains) != 1 || c.PermittedURIDomains[0] != td {
		t.Errorf("root URI name constraint %v", c.PermittedURIDomains)
	}
	if r.ID != CertID(c.Raw) || len(r.ID) != 64 {
		t.Errorf("root ID %q", r.ID)
	}
	if strings.Contains(r.CertPEM, "PRIVATE") || !strings.Contains(r.KeyPEM, "PRIVATE KEY") {
		t.Error("key and certificate PEM mixed up")
	}
	if _, err := NewRoot("Bad Domain", now, 0); err == nil {
		t.Error("a trust domain with spaces and capitals was accepted")
	}
}

func TestSignLeafAndVerify(t *testing.T) {
	now := time.Now()
	root := mustRoot(t, td, now)
	leaf, _ := mustLeaf(t, root, LeafRequest{TrustDomain: td, Namespace: "default", Service: "web", Now: now})
	c, err := ParseCertPEM(leaf.CertPEM)
	if err != nil {
		t.Fatal(err)
	}
	want := "spiffe://global.appmesh/ns/default/svc/web"
	if leaf.SPIFFEID != want || len(c.URIs) != 1 || c.URIs[0].String() != want {
		t.Errorf("leaf identity %q, URIs %v; want %q", leaf.SPIFFEID, c.URIs, want)
	}
	if c.Subject.CommonName == "ignored-subject" {
		t.Error("the CSR's subject was copied into the leaf")
	}
	if len(c.DNSNames) != 1 || c.DNSNames[0] != "web.svc.default."+td {
		t.Errorf("leaf DNS names %v", c.DNSNames)
	}
	if got := c.NotAfter.Sub(now).Round(time.Minute); got != DefaultLeafTTL {
		t.Errorf("leaf TTL %v, want %v", got, DefaultLeafTTL)
	}
	if !c.NotBefore.Before(now.Add(-30 * time.Second)) {
		t.Errorf("NotBefore %v is not backdated from %v", c.NotBefore, now)
	}
	if c.IsCA {
		t.Error("leaf is a CA")
	}
	pool, _ := PoolFromPEM([]string{root.CertPEM})
	id, err := VerifyPeer([][]byte{c.Raw}, pool)
	if err != nil || id != want {
		t.Fatalf("VerifyPeer = %q, %v; want %q", id, err, want)
	}
	// Expired: a short leaf checked after its end.
	short, _ := mustLeaf(t, root, LeafRequest{TrustDomain: td, Namespace: "default", Service: "web", Now: now, TTL: time.Minute})
	if _, err := VerifyPeerAt([][]byte{der(t, short.CertPEM)}, pool, now.Add(2*time.Minute)); err == nil {
		t.Error("an expired leaf verified")
	}
	// Another cluster's root is not trusted.
	other := mustRoot(t, td, now)
	otherPool, _ := PoolFromPEM([]string{other.CertPEM})
	if _, err := VerifyPeer([][]byte{c.Raw}, otherPool); err == nil {
		t.Error("a leaf verified against a root that did not sign it")
	}
	// A root presented as a peer's certificate is refused.
	if _, err := VerifyPeer([][]byte{der(t, root.CertPEM)}, pool); err == nil {
		t.Error("the root itself verified as a peer")
	}
}

// A root of one trust domain cannot vouch for another's identities, even
// when it signs one: the name constraint is checked on verification.
func TestNameConstraint(t *testing.T) {
	now := time.Now()
	root := mustRoot(t, td, now)
	leaf, _ := mustLeaf(t, root, LeafRequest{TrustDomain: "evil.appmesh", Namespace: "default", Service: "web", Now: now})
	pool, _ := PoolFromPEM([]string{root.CertPEM})
	if _, err := VerifyPeer([][]byte{der(t, leaf.CertPEM)}, pool); err == nil {
		t.Fatal("a leaf outside the root's trust domain verified")
	}
}

func TestLeafTTLCappedByRoot(t *testing.T) {
	now := time.Now()
	root, err := NewRoot(td, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := mustLeaf(t, root, LeafRequest{TrustDomain: td, Namespace: "default", Service: "web", Now: now})
	if leaf.NotAfter.After(root.NotAfter) {
		t.Errorf("leaf ends %v after its root %v", leaf.NotAfter, root.NotAfter)
	}
}

func TestSignLeafRefuses(t *testing.T) {
	now := time.Now()
	root := mustRoot(t, td, now)
	_, csr, _ := NewKeyAndCSR("x")
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsaDER, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, rsaKey)
	rsaCSR := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: rsaDER}))
	cases := map[string]LeafRequest{
		"no CSR":               {TrustDomain: td, Namespace: "default", Service: "web"},
		"RSA key":              {TrustDomain: td, Namespace: "default", Service: "web", CSRPEM: rsaCSR},
		"slash in service":     {TrustDomain: td, Namespace: "default", Service: "a/b", CSRPEM: csr},
		"wildcard namespace":   {TrustDomain: td, Namespace: "*", Service: "web", CSRPEM: csr},
		"empty service":        {TrustDomain: td, Namespace: "default", CSRPEM: csr},
		"corrupt CSR":          {TrustDomain: td, Namespace: "default", Service: "web", CSRPEM: strings.Replace(csr, "A", "B", 5)},
		"invalid trust domain": {TrustDomain: "", Namespace: "default", Service: "web", CSRPEM: csr},
	}
	for name, req := range cases {
		if _, err := SignLeaf(root.CertPEM, root.KeyPEM, req); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	// A service name that is no DNS label still gets its URI identity.
	leaf, _ := mustLeaf(t, root, LeafRequest{TrustDomain: td, Namespace: "default", Service: "Web_API"})
	c, _ := ParseCertPEM(leaf.CertPEM)
	if len(c.DNSNames) != 0 || leaf.SPIFFEID != "spiffe://"+td+"/ns/default/svc/Web_API" {
		t.Errorf("DNS %v, identity %q", c.DNSNames, leaf.SPIFFEID)
	}
}

// Both roots of a rotation verify the leaves each signed.
func TestRotationPool(t *testing.T) {
	now := time.Now()
	oldRoot, newRoot := mustRoot(t, td, now), mustRoot(t, td, now)
	a, _ := mustLeaf(t, oldRoot, LeafRequest{TrustDomain: td, Namespace: "default", Service: "a"})
	b, _ := mustLeaf(t, newRoot, LeafRequest{TrustDomain: td, Namespace: "default", Service: "b"})
	pool, err := PoolFromPEM([]string{oldRoot.CertPEM, newRoot.CertPEM})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*Leaf{a, b} {
		if _, err := VerifyPeer([][]byte{der(t, l.CertPEM)}, pool); err != nil {
			t.Errorf("%s: %v", l.SPIFFEID, err)
		}
	}
}

// A real mutual TLS handshake over loopback with VerifyPeerCertificate on
// both sides: each learns the other's identity; a client with a
// certificate from a foreign root is refused.
func TestMutualTLS(t *testing.T) {
	now := time.Now()
	root := mustRoot(t, td, now)
	pool, _ := PoolFromPEM([]string{root.CertPEM})
	pair := func(r *Root, svc string) tls.Certificate {
		leaf, key := mustLeaf(t, r, LeafRequest{TrustDomain: td, Namespace: "default", Service: svc})
		c, err := tls.X509KeyPair([]byte(leaf.CertPEM), []byte(key))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	serverSeen := make(chan string, 4)
	srvCfg := &tls.Config{
		Certificates: []tls.Certificate{pair(root, "api")},
		ClientAuth:   tls.RequireAnyClientCert,
		MinVersion:   tls.VersionTLS13,
		VerifyPeerCertificate: VerifyPeerCertificate(func() *x509.CertPool { return pool }, func(id string) error {
			serverSeen <- id
			return nil
		}),
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
				_, _ = io.WriteString(c, "ok")
			}()
		}
	}()
	dial := func(cert tls.Certificate, wantServer string) error {
		cfg := &tls.Config{
			Certificates:       []tls.Certificate{cert},
			InsecureSkipVerify: true, // VerifyPeerCertificate checks the chain and identity
			MinVersion:         tls.VersionTLS13,
			VerifyPeerCertificate: VerifyPeerCertificate(func() *x509.CertPool { return pool }, func(id string) error {
				if id != wantServer {
					return errors.New("unexpected server " + id)
				}
				return nil
			}),
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), cfg)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 2)
		_, err = io.ReadFull(conn, buf)
		return err
	}
	if err := dial(pair(root, "web"), "spiffe://"+td+"/ns/default/svc/api"); err != nil {
		t.Fatalf("mesh client refused: %v", err)
	}
	if got := <-serverSeen; got != "spiffe://"+td+"/ns/default/svc/web" {
		t.Errorf("server saw %q", got)
	}
	if err := dial(pair(root, "web"), "spiffe://"+td+"/ns/default/svc/other"); err == nil {
		t.Error("client accepted a server with the wrong identity")
	}
	if err := dial(pair(mustRoot(t, td, now), "web"), "spiffe://"+td+"/ns/default/svc/api"); err == nil {
		t.Error("server accepted a client of a foreign root")
	}
}
