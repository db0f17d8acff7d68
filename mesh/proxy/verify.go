package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// certs is one generation of the proxy's key material. Handshakes read the
// current generation through an atomic pointer, so a rotation applies to
// the next handshake and never touches a connection already established.
type certs struct {
	leaf        *tls.Certificate
	roots       *x509.CertPool
	trustDomain string
}

// parseCerts builds the key material of a config: the leaf pair and the
// pool of every trusted root (during a rotation the bundle holds the old
// and the new root, and both stay valid).
func parseCerts(cfg *structs.MeshProxyConfig) (*certs, error) {
	pair, err := tls.X509KeyPair([]byte(cfg.LeafCertPEM), []byte(cfg.LeafKeyPEM))
	if err != nil {
		return nil, fmt.Errorf("leaf certificate: %w", err)
	}
	roots, err := PoolFromPEM(cfg.RootsPEM)
	if err != nil {
		return nil, err
	}
	td := cfg.TrustDomain
	if td == "" && cfg.SPIFFEID != "" {
		if td, _, _, err = structs.ParseMeshSPIFFEID(cfg.SPIFFEID); err != nil {
			return nil, err
		}
	}
	if td == "" {
		return nil, errors.New("the config names no trust domain")
	}
	return &certs{leaf: &pair, roots: roots, trustDomain: td}, nil
}

// PoolFromPEM parses a bundle of root certificates; each entry may hold
// several PEM blocks.
func PoolFromPEM(rootsPEM []string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	for i, p := range rootsPEM {
		rest := []byte(p)
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if block.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("root %d: %w", i, err)
			}
			pool.AddCert(c)
			n++
		}
	}
	if n == 0 {
		return nil, errors.New("no trusted root certificate in the config")
	}
	return pool, nil
}

// VerifyPeer checks a peer's certificate chain as presented in a TLS
// handshake: it must chain to one of roots, be valid now, and carry exactly
// one SPIFFE URI SAN in trustDomain. It returns that identity. The mesh
// does not use DNS names, so Go's hostname check is replaced by this one.
func VerifyPeer(rawCerts [][]byte, roots *x509.CertPool, trustDomain string, now time.Time) (string, error) {
	if len(rawCerts) == 0 {
		return "", errors.New("the peer presented no certificate")
	}
	chain := make([]*x509.Certificate, 0, len(rawCerts))
	for _, raw := range rawCerts {
		c, err := x509.ParseCertificate(raw)
		if err != nil {
			return "", fmt.Errorf("parse peer certificate: %w", err)
		}
		chain = append(chain, c)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	leaf := chain[0]
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		// Leaves serve both ends of a mesh connection.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return "", fmt.Errorf("peer certificate does not chain to a trusted mesh root: %w", err)
	}
	if len(leaf.URIs) != 1 {
		return "", fmt.Errorf("peer certificate has %d URI SANs, want one SPIFFE ID", len(leaf.URIs))
	}
	id := leaf.URIs[0].String()
	td, _, _, err := structs.ParseMeshSPIFFEID(id)
	if err != nil {
		return "", err
	}
	if td != trustDomain {
		return "", fmt.Errorf("peer identity %s is outside the trust domain %s", id, trustDomain)
	}
	return id, nil
}
