package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/appmesh/appmesh/mesh/ca"
)

// serverTLS is the inbound listener's TLS config. The certificate and the
// roots are looked up per handshake, so rotation needs no new listener
// and leaves open connections alone.
func (p *Proxy) serverTLS() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// A resumed session skips VerifyPeerCertificate: a client could
		// then come back on a leaf whose root was since removed.
		SessionTicketsDisabled: true,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return p.certs.Load().leaf, nil
		},
		// Verification is ours (verifyPeer): chain to the mesh roots and
		// a SPIFFE identity in our trust domain; there are no hostnames.
		ClientAuth: tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			c := p.certs.Load()
			_, err := verifyPeer(raw, c.roots, c.trustDomain, time.Now())
			return err
		},
	}
}

// clientTLS is the config of one dial to an upstream instance whose
// identity must be wantID.
func (p *Proxy) clientTLS(wantID string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return p.certs.Load().leaf, nil
		},
		// Go's check wants a hostname; the mesh checks the SPIFFE ID
		// instead, in VerifyPeerCertificate, which runs either way.
		InsecureSkipVerify: true, //nolint:gosec // verified below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			c := p.certs.Load()
			id, err := verifyPeer(raw, c.roots, c.trustDomain, time.Now())
			if err != nil {
				return err
			}
			if id != wantID {
				return fmt.Errorf("upstream presented identity %s, want %s", id, wantID)
			}
			return nil
		},
	}
}

// peerID is the verified SPIFFE identity of an established connection.
func peerID(cs tls.ConnectionState) (string, error) {
	if len(cs.PeerCertificates) == 0 {
		return "", errors.New("the peer has no mesh identity")
	}
	return ca.LeafSPIFFEID(cs.PeerCertificates[0])
}
