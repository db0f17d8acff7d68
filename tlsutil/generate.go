// Package tlsutil makes and loads the certificates of a cluster's mutual
// TLS: a private CA, and certificates whose DNS name says the holder's
// role ("server.global.appmesh", "client.global.appmesh",
// "cli.global.appmesh"). A server proves it is a server by its name, so a
// client's certificate, signed by the same CA, cannot act as one.
package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Certificate roles.
const (
	RoleServer = "server"
	RoleClient = "client"
	RoleCLI    = "cli"
)

// Defaults of the generated files' names and lifetimes.
const (
	DefaultDomain  = "appmesh"
	DefaultRegion  = "global"
	DefaultCADays  = 5 * 365
	DefaultCrtDays = 365
)

// RoleName is the DNS name a certificate of role carries in region, e.g.
// "server.global.appmesh".
func RoleName(role, region, domain string) string {
	if region == "" {
		region = DefaultRegion
	}
	if domain == "" {
		domain = DefaultDomain
	}
	return role + "." + region + "." + domain
}

// CAOptions says how to make a CA.
type CAOptions struct {
	Domain string // names the CA ("appmesh" default)
	Days   int    // lifetime (DefaultCADays when 0)
}

// CertOptions says how to make a certificate signed by a CA.
type CertOptions struct {
	Role   string // RoleServer, RoleClient or RoleCLI
	Region string // "global" default
	Domain string // "appmesh" default
	Days   int    // DefaultCrtDays when 0
	// DNSNames and IPs are added to the role name (and, for servers and
	// clients, to localhost and 127.0.0.1, which every agent answers on).
	DNSNames []string
	IPs      []net.IP
	CACert   []byte // PEM
	CAKey    []byte // PEM
}

// GenerateCA returns a new self-signed CA certificate and its ECDSA P-256
// key, both PEM-encoded.
func GenerateCA(o CAOptions) (certPEM, keyPEM []byte, err error) {
	if o.Domain == "" {
		o.Domain = DefaultDomain
	}
	days, err := checkDays(o.Days, DefaultCADays)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	name := fmt.Sprintf("%s agent CA %d", o.Domain, serial.Uint64()%1_000_000)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{o.Domain}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.AddDate(0, 0, days),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign CA certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

// GenerateCert returns a certificate of the given role signed by the CA,
// and its new ECDSA P-256 key, both PEM-encoded.
func GenerateCert(o CertOptions) (certPEM, keyPEM []byte, err error) {
	var usage []x509.ExtKeyUsage
	switch o.Role {
	case RoleServer, RoleClient:
		// Agents both listen (RPC, HTTPS) and dial (RPC).
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	case RoleCLI:
		usage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		return nil, nil, fmt.Errorf("certificate role %q: want server, client or cli", o.Role)
	}
	days, err := checkDays(o.Days, DefaultCrtDays)
	if err != nil {
		return nil, nil, err
	}
	ca, caKey, err := parseCA(o.CACert, o.CAKey)
	if err != nil {
		return nil, nil, err
	}
	name := RoleName(o.Role, o.Region, o.Domain)
	dns := []string{name}
	ips := append([]net.IP(nil), o.IPs...)
	if o.Role != RoleCLI {
		dns = append(dns, "localhost")
		ips = append(ips, net.IPv4(127, 0, 0, 1))
	}
	for _, d := range o.DNSNames {
		if d = strings.TrimSpace(d); d == "" {
			return nil, nil, errors.New("an additional DNS name is empty")
		}
		dns = append(dns, d)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        pkix.Name{CommonName: name},
		NotBefore:      now.Add(-time.Minute),
		NotAfter:       now.AddDate(0, 0, days),
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:    usage,
		DNSNames:       dns,
		IPAddresses:    ips,
		SubjectKeyId:   keyID(&key.PublicKey),
		AuthorityKeyId: ca.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("sign %s certificate: %w", o.Role, err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

// CAFileNames are the file names `appmesh tls ca create` writes.
func CAFileNames(domain string) (cert, key string) {
	if domain == "" {
		domain = DefaultDomain
	}
	return domain + "-agent-ca.pem", domain + "-agent-ca-key.pem"
}

// CertFileNames are the file names `appmesh tls cert create` writes, e.g.
// "global-server-appmesh.pem" and "global-server-appmesh-key.pem".
func CertFileNames(role, region, domain string) (cert, key string) {
	if region == "" {
		region = DefaultRegion
	}
	if domain == "" {
		domain = DefaultDomain
	}
	base := region + "-" + role + "-" + domain
	return base + ".pem", base + "-key.pem"
}

func checkDays(days, def int) (int, error) {
	switch {
	case days == 0:
		return def, nil
	case days < 0:
		return 0, fmt.Errorf("-days %d: must be a positive number of days", days)
	case days > 100*365:
		return 0, fmt.Errorf("-days %d: more than 100 years", days)
	}
	return days, nil
}

func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, errors.New("the CA certificate is not a PEM certificate")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse the CA certificate: %w", err)
	}
	if !ca.IsCA {
		return nil, nil, errors.New("the CA certificate is not a CA (it cannot sign certificates)")
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, errors.New("the CA key is not PEM")
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("parse the CA key (want an EC private key): %w", err)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("the CA key does not belong to the CA certificate")
	}
	return ca, key, nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		return nil, fmt.Errorf("make serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}

func keyID(pub *ecdsa.PublicKey) []byte {
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(b)
	return sum[:20]
}
