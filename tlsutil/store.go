package tlsutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync/atomic"
	"time"
)

// HandshakeTimeout bounds a TLS handshake on the RPC port.
const HandshakeTimeout = 10 * time.Second

// Files names an agent's CA, certificate and key.
type Files struct {
	CAFile   string
	CertFile string
	KeyFile  string
	// Region is the region of the role names ("global" when empty).
	Region string
	// VerifyServerHostname makes a dialer require the name
	// server.<region>.appmesh of the server it reaches, not just a
	// certificate of the CA.
	VerifyServerHostname bool
}

// material is one loaded set of files; a reload swaps it whole.
type material struct {
	cert *tls.Certificate
	leaf *x509.Certificate
	pool *x509.CertPool
}

// Store holds an agent's certificate and CA, and builds the tls.Configs
// of its listeners and dialers. The configs read the store on every
// handshake, so Reload changes what new connections use while existing
// connections carry on with the keys they agreed.
type Store struct {
	files Files
	cur   atomic.Pointer[material]
}

// NewStore loads the files; every one is required.
func NewStore(f Files) (*Store, error) {
	if f.Region == "" {
		f.Region = DefaultRegion
	}
	s := &Store{files: f}
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload reads the files again. On error the store keeps what it had.
func (s *Store) Reload() error {
	m, err := load(s.files)
	if err != nil {
		return err
	}
	s.cur.Store(m)
	return nil
}

func load(f Files) (*material, error) {
	var missing []string
	for name, v := range map[string]string{"ca_file": f.CAFile, "cert_file": f.CertFile, "key_file": f.KeyFile} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("tls: %v must be set", missing)
	}
	caPEM, err := os.ReadFile(f.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls: read ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("tls: ca_file %s holds no PEM certificate", f.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: load cert_file %s and key_file %s: %w", f.CertFile, f.KeyFile, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("tls: parse cert_file %s: %w", f.CertFile, err)
	}
	// A certificate the CA did not sign would be refused by every peer;
	// say so at start rather than in their logs.
	inter := x509.NewCertPool()
	for _, der := range cert.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("tls: cert_file %s is not signed by ca_file %s: %w", f.CertFile, f.CAFile, err)
	}
	cert.Leaf = leaf
	return &material{cert: &cert, leaf: leaf, pool: pool}, nil
}

// Region is the region of the role names.
func (s *Store) Region() string { return s.files.Region }

// ServerName is the name every server's certificate carries.
func (s *Store) ServerName() string { return RoleName(RoleServer, s.files.Region, "") }

// Leaf is the certificate currently presented.
func (s *Store) Leaf() *x509.Certificate { return s.cur.Load().leaf }

// ServerConfig is the config of a listener. With requireClientCert, a peer
// without a certificate of the CA is refused (mutual TLS); otherwise none
// is asked for (a browser would prompt for one).
func (s *Store) ServerConfig(requireClientCert bool) *tls.Config {
	auth := tls.NoClientCert
	if requireClientCert {
		auth = tls.RequireAnyClientCert
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ClientAuth: auth,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cur.Load().cert, nil
		},
		// The chain is checked here, against the CA of the moment, rather
		// than through ClientCAs, which a reload could not replace.
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				if requireClientCert {
					return errors.New("tls: a client certificate is required")
				}
				return nil
			}
			return s.verify(cs.PeerCertificates, x509.ExtKeyUsageClientAuth, "")
		},
	}
}

// ClientConfig is the config of a dialer reaching a server: it presents
// this agent's certificate and checks the server's against the CA (and
// its name, with VerifyServerHostname).
func (s *Store) ClientConfig() *tls.Config {
	name := ""
	if s.files.VerifyServerHostname {
		name = s.ServerName()
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: s.ServerName(),
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return s.cur.Load().cert, nil
		},
		// Go's own check would use a fixed RootCAs; this one reads the
		// store, and checks the name only when asked to.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the server presented no certificate")
			}
			return s.verify(cs.PeerCertificates, x509.ExtKeyUsageServerAuth, name)
		},
	}
}

// AgentClientConfig is the config of a dialer reaching another agent's
// HTTPS API (App Mesh's X-Target-Host forwarding): it presents this
// agent's certificate and accepts only a peer certificate of the CA that
// names a server or client agent of this region, whatever
// verify_server_hostname says, because the request carries the caller's
// token and the peer may be a client-only agent.
func (s *Store) AgentClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return s.cur.Load().cert, nil
		},
		InsecureSkipVerify: true, // checked below, against the store's CA of the moment
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: the agent presented no certificate")
			}
			if err := s.verify(cs.PeerCertificates, x509.ExtKeyUsageServerAuth, ""); err != nil {
				return err
			}
			if !s.PeerIsAgent(cs) {
				return fmt.Errorf("tls: peer certificate %q is not an agent's of region %s",
					cs.PeerCertificates[0].Subject.CommonName, s.files.Region)
			}
			return nil
		},
	}
}

func (s *Store) verify(chain []*x509.Certificate, usage x509.ExtKeyUsage, dnsName string) error {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: s.cur.Load().pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{usage}}
	if _, err := chain[0].Verify(opts); err != nil {
		return fmt.Errorf("tls: peer certificate %q: %w", chain[0].Subject.CommonName, err)
	}
	if dnsName != "" && !HasName(chain[0], dnsName) {
		return fmt.Errorf("tls: peer certificate %q does not carry the name %s", chain[0].Subject.CommonName, dnsName)
	}
	return nil
}

// HasName reports whether the certificate names exactly dnsName; a
// wildcard does not count, so that no certificate stands for every role.
func HasName(c *x509.Certificate, dnsName string) bool {
	return slices.Contains(c.DNSNames, dnsName)
}

// PeerIsServer reports whether a verified connection's peer holds a
// server certificate of this store's region.
func (s *Store) PeerIsServer(cs tls.ConnectionState) bool {
	return len(cs.PeerCertificates) > 0 && HasName(cs.PeerCertificates[0], s.ServerName())
}

// PeerIsAgent reports whether a verified connection's peer holds a server
// or a client certificate of this store's region: the RPC port is for
// agents, not for the CLI's certificate.
func (s *Store) PeerIsAgent(cs tls.ConnectionState) bool {
	return s.PeerIsServer(cs) ||
		(len(cs.PeerCertificates) > 0 && HasName(cs.PeerCertificates[0], RoleName(RoleClient, s.files.Region, "")))
}

// Client runs a dialer's handshake on conn.
func (s *Store) Client(ctx context.Context, conn net.Conn) (*tls.Conn, error) {
	tc := tls.Client(conn, s.ClientConfig())
	ctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tls handshake with %s: %w", conn.RemoteAddr(), err)
	}
	return tc, nil
}

// Server runs a listener's handshake on conn, requiring a client
// certificate of the CA.
func (s *Store) Server(ctx context.Context, conn net.Conn) (*tls.Conn, error) {
	tc := tls.Server(conn, s.ServerConfig(true))
	ctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tls handshake with %s: %w", conn.RemoteAddr(), err)
	}
	return tc, nil
}
