package ca

import (
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// VerifyPeer checks a peer's chain as a TLS handshake hands it over
// (rawCerts[0] is the peer's leaf, the rest are intermediates) against the
// trusted roots, and returns the peer's SPIFFE ID. The leaf must be valid
// now, chain to one of roots, not be a CA, and carry exactly one
// spiffe://<domain>/ns/<namespace>/svc/<service> URI SAN.
func VerifyPeer(rawCerts [][]byte, roots *x509.CertPool) (string, error) {
	return VerifyPeerAt(rawCerts, roots, time.Now())
}

// VerifyPeerAt is VerifyPeer at a given time.
func VerifyPeerAt(rawCerts [][]byte, roots *x509.CertPool, now time.Time) (string, error) {
	if roots == nil {
		return "", errors.New("mesh peer: no trusted roots")
	}
	if len(rawCerts) == 0 {
		return "", errors.New("mesh peer: presented no certificate")
	}
	leaf, err := x509.ParseCertificate(rawCerts[0])
	if err != nil {
		return "", fmt.Errorf("mesh peer: parse certificate: %w", err)
	}
	inter := x509.NewCertPool()
	for i, raw := range rawCerts[1:] {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return "", fmt.Errorf("mesh peer: parse certificate %d of the chain: %w", i+1, err)
		}
		inter.AddCert(c)
	}
	if leaf.IsCA {
		return "", errors.New("mesh peer: presented a CA certificate as its own")
	}
	// A proxy is both server and client of the mesh; either usage lets the
	// chain through, and the leaves the CA signs carry both.
	_, err = leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return "", fmt.Errorf("mesh peer: %w", err)
	}
	return LeafSPIFFEID(leaf)
}

// LeafSPIFFEID returns the one mesh identity of a certificate.
func LeafSPIFFEID(cert *x509.Certificate) (string, error) {
	var id string
	for _, u := range cert.URIs {
		if u.Scheme != "spiffe" {
			continue
		}
		if id != "" {
			return "", errors.New("mesh peer: certificate carries more than one SPIFFE ID")
		}
		id = u.String()
	}
	if id == "" {
		return "", errors.New("mesh peer: certificate carries no SPIFFE ID")
	}
	if _, _, _, err := structs.ParseMeshSPIFFEID(id); err != nil {
		return "", fmt.Errorf("mesh peer: %w", err)
	}
	return id, nil
}

// VerifyPeerCertificate returns a function for tls.Config's
// VerifyPeerCertificate (with InsecureSkipVerify on the client side, or
// ClientAuth: tls.RequireAnyClientCert on the server side, so that Go's own
// hostname checks do not run: mesh peers are named by SPIFFE ID, not host).
// roots is called on every handshake, so a rotation reaches open listeners
// at once; allow, when not nil, decides whether the verified identity may
// connect (e.g. the expected destination, or intentions).
func VerifyPeerCertificate(roots func() *x509.CertPool, allow func(spiffeID string) error) func([][]byte, [][]*x509.Certificate) error {
	return func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
		id, err := VerifyPeer(rawCerts, roots())
		if err != nil {
			return err
		}
		if allow != nil {
			return allow(id)
		}
		return nil
	}
}
