// Package ca is the mesh's certificate authority as pure functions: make a
// root, sign a service's CSR into a short-lived leaf, and verify a peer's
// chain against the trusted roots. It does no I/O and keeps no state; the
// servers keep the roots in Raft (server/mesh_ca*.go), the client agents
// ask for leaves (client/mesh/leaf.go), and the proxies verify each other
// with VerifyPeer.
package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"time"
)

// Defaults of the CA.
const (
	// DefaultRootValidity is a root's lifetime. Roots are rotated by an
	// operator, not by expiry; ten years keeps expiry out of the way.
	DefaultRootValidity = 10 * 365 * 24 * time.Hour
	// DefaultLeafTTL is a leaf's lifetime when the request names none.
	DefaultLeafTTL = 72 * time.Hour
	// ClockSkew backdates NotBefore so that a peer whose clock runs a little
	// behind the signing server's still accepts a fresh certificate.
	ClockSkew = time.Minute
)

// PEM block types.
const (
	pemCert = "CERTIFICATE"
	pemKey  = "PRIVATE KEY" // PKCS#8
	pemCSR  = "CERTIFICATE REQUEST"
)

// Root is a CA root certificate with its private key. KeyPEM is a secret:
// it belongs in the servers' state only and must never be logged or
// returned by an API.
type Root struct {
	ID        string // hex SHA-256 of the certificate's DER
	CertPEM   string
	KeyPEM    string
	NotBefore time.Time
	NotAfter  time.Time
}

// NewRoot makes a self-signed ECDSA P-256 root for trustDomain, valid from
// now (backdated by ClockSkew) for validity (DefaultRootValidity if zero).
// The root is name-constrained to the trust domain: it can only vouch for
// spiffe://<trustDomain>/... URIs and DNS names under the trust domain, so
// a leaked leaf of one cluster is worthless in another.
func NewRoot(trustDomain string, now time.Time, validity time.Duration) (*Root, error) {
	if err := checkTrustDomain(trustDomain); err != nil {
		return nil, err
	}
	if validity <= 0 {
		validity = DefaultRootValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:                serial,
		Subject:                     pkix.Name{CommonName: "appmesh mesh CA " + trustDomain + " " + serial.Text(16)[:8], Organization: []string{"appmesh"}},
		NotBefore:                   now.Add(-ClockSkew),
		NotAfter:                    now.Add(validity),
		IsCA:                        true,
		BasicConstraintsValid:       true,
		MaxPathLenZero:              true, // leaves only, no intermediates
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		URIs:                        []*url.URL{{Scheme: "spiffe", Host: trustDomain}},
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{trustDomain},
		PermittedURIDomains:         []string{trustDomain},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create root certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode root key: %w", err)
	}
	return &Root{
		ID:        CertID(der),
		CertPEM:   string(pem.EncodeToMemory(&pem.Block{Type: pemCert, Bytes: der})),
		KeyPEM:    string(pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: keyDER})),
		NotBefore: tmpl.NotBefore.UTC().Truncate(time.Second),
		NotAfter:  tmpl.NotAfter.UTC().Truncate(time.Second),
	}, nil
}

// CertID is the ID of a certificate: the hex SHA-256 of its DER.
func CertID(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// ParseCertPEM decodes the first certificate of a PEM text.
func ParseCertPEM(certPEM string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != pemCert {
		return nil, errors.New("no PEM certificate found")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// parseKeyPEM decodes a PKCS#8 private key that can sign.
func parseKeyPEM(keyPEM string) (crypto.Signer, error) {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil || block.Type != pemKey {
		return nil, errors.New("no PEM private key found")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", k)
	}
	return s, nil
}

// PoolFromPEM builds a certificate pool of the given roots. An entry may
// hold several PEM certificates (a root and its cross-signed successor, or
// a bundle as an external CA hands it over); every one is trusted. An
// entry without any certificate is an error.
func PoolFromPEM(rootsPEM []string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for i, p := range rootsPEM {
		n := 0
		for rest := []byte(p); ; {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != pemCert {
				continue
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("root %d: parse certificate: %w", i, err)
			}
			pool.AddCert(cert)
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("root %d: no PEM certificate found", i)
		}
	}
	return pool, nil
}

// NewKeyAndCSR makes a fresh ECDSA P-256 key and a CSR for it, both PEM.
// The CSR's subject is informational: the CA sets the identity itself.
func NewKeyAndCSR(commonName string) (keyPEM, csrPEM string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate leaf key: %w", err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: commonName},
	}, key)
	if err != nil {
		return "", "", fmt.Errorf("create CSR: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("encode leaf key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: pemKey, Bytes: keyDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: pemCSR, Bytes: csrDER})), nil
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil // never zero
}

// ValidTrustDomain reports whether td can be a trust domain (the agent
// checks its configuration with it).
func ValidTrustDomain(td string) error { return checkTrustDomain(td) }

// checkTrustDomain accepts a DNS-like name: a SPIFFE trust domain is the
// host of the URI, and the name constraint matches it as a DNS domain.
func checkTrustDomain(td string) error {
	if td == "" {
		return errors.New("trust domain is empty")
	}
	if len(td) > 253 {
		return fmt.Errorf("trust domain %q is too long", td)
	}
	for _, r := range td {
		ok := r == '.' || r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("trust domain %q: only lower-case letters, digits, '.', '-' and '_' are allowed", td)
		}
	}
	return nil
}
