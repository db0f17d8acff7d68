package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/mesh/ca"
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
	if len(cfg.RootsPEM) == 0 {
		return nil, errors.New("no trusted root certificate in the config")
	}
	roots, err := ca.PoolFromPEM(cfg.RootsPEM)
	if err != nil {
		return nil, fmt.Errorf("trusted roots: %w", err)
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

// verifyPeer checks a peer's chain with the mesh CA's rules (ca.VerifyPeerAt:
// chains to one of roots, valid now, not a CA, one SPIFFE ID) and adds the
// proxy's own: the identity must be in trustDomain. It returns the identity.
func verifyPeer(rawCerts [][]byte, roots *x509.CertPool, trustDomain string, now time.Time) (string, error) {
	id, err := ca.VerifyPeerAt(rawCerts, roots, now)
	if err != nil {
		return "", err
	}
	td, _, _, err := structs.ParseMeshSPIFFEID(id)
	if err != nil {
		return "", err
	}
	if td != trustDomain {
		return "", fmt.Errorf("peer identity %s is outside the trust domain %s", id, trustDomain)
	}
	return id, nil
}
