package ca

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// LeafRequest is what the CA needs to sign one service's leaf.
type LeafRequest struct {
	TrustDomain string
	Namespace   string
	Service     string
	// CSRPEM is a PKCS#10 request. Only its public key is used: subject
	// and extensions are ignored, the CA sets the identity itself.
	CSRPEM string
	// TTL is the leaf's lifetime (DefaultLeafTTL if zero); the leaf never
	// outlives its root.
	TTL time.Duration
	Now time.Time
}

// Leaf is a signed leaf certificate.
type Leaf struct {
	CertPEM   string
	SPIFFEID  string
	Serial    string // hex
	NotBefore time.Time
	NotAfter  time.Time
}

// SignLeaf signs req's CSR with the root (its certificate and PKCS#8 key,
// both PEM). The leaf's only URI SAN is the service's SPIFFE ID; it also
// gets the DNS name <service>.svc.<namespace>.<trust domain> when those
// are valid DNS labels, and is good for both server and client auth (a
// proxy is both).
func SignLeaf(rootCertPEM, rootKeyPEM string, req LeafRequest) (*Leaf, error) {
	if err := checkTrustDomain(req.TrustDomain); err != nil {
		return nil, err
	}
	if err := checkPathSegment("namespace", req.Namespace); err != nil {
		return nil, err
	}
	if err := checkPathSegment("service", req.Service); err != nil {
		return nil, err
	}
	pub, err := csrPublicKey(req.CSRPEM)
	if err != nil {
		return nil, err
	}
	rootCert, err := ParseCertPEM(rootCertPEM)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	rootKey, err := parseKeyPEM(rootKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("root: %w", err)
	}
	ttl := req.TTL
	if ttl <= 0 {
		ttl = DefaultLeafTTL
	}
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	notAfter := now.Add(ttl)
	if notAfter.After(rootCert.NotAfter) {
		notAfter = rootCert.NotAfter
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	id := structs.MeshSPIFFEID(req.TrustDomain, req.Namespace, req.Service)
	uri, err := url.Parse(id)
	if err != nil {
		return nil, fmt.Errorf("identity %q: %w", id, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             now.Add(-ClockSkew),
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		URIs:                  []*url.URL{uri},
	}
	if dns := leafDNSName(req); dns != "" {
		tmpl.DNSNames = []string{dns}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, rootCert, pub, rootKey)
	if err != nil {
		return nil, fmt.Errorf("sign leaf for %s: %w", id, err)
	}
	return &Leaf{
		CertPEM:   string(pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der})),
		SPIFFEID:  id,
		Serial:    serial.Text(16),
		NotBefore: tmpl.NotBefore.UTC().Truncate(time.Second),
		NotAfter:  notAfter.UTC().Truncate(time.Second),
	}, nil
}

// csrPublicKey checks a CSR's self-signature and returns its key, which
// must be ECDSA (P-256 or P-384) or Ed25519: the mesh has no reason to sign
// slow or weak keys.
func csrPublicKey(csrPEM string) (any, error) {
	block, _ := pem.Decode([]byte(csrPEM))
	if block == nil || block.Type != pemCSR {
		return nil, errors.New("invalid CSR: no PEM certificate request found")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("invalid CSR: %w", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("invalid CSR: signature: %w", err)
	}
	switch k := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, fmt.Errorf("invalid CSR: ECDSA curve %s is not accepted (P-256 or P-384)", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("invalid CSR: key type %T is not accepted (ECDSA P-256/P-384 or Ed25519)", k)
	}
	return csr.PublicKey, nil
}

// checkPathSegment refuses names that would change the SPIFFE ID's shape.
func checkPathSegment(what, s string) error {
	if s == "" {
		return fmt.Errorf("invalid: %s is empty", what)
	}
	if s == "*" || strings.ContainsAny(s, "/?#%@: \t\r\n") {
		return fmt.Errorf("invalid: %s %q is not a valid identity segment", what, s)
	}
	return nil
}

// leafDNSName is <service>.svc.<namespace>.<trust domain>, or "" when a
// part is not a DNS label (the URI SAN is the identity; the DNS name is a
// convenience for tools that only look at DNS SANs).
func leafDNSName(req LeafRequest) string {
	if !dnsLabel(req.Service) || !dnsLabel(req.Namespace) {
		return ""
	}
	return req.Service + ".svc." + req.Namespace + "." + req.TrustDomain
}

func dnsLabel(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r == '-' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}
