package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// certOptions are the addresses of the appmesh proxy pair: web (the caller)
// listens on UpstreamAddr for its upstream api; api's proxy listens on
// InboundAddr with mTLS and forwards to the benchmark server at ServiceAddr.
type certOptions struct {
	dir          string
	trustDomain  string
	namespace    string
	upstreamAddr string
	inboundAddr  string
	serviceAddr  string
	// The caller side's own inbound listener and service: nothing calls
	// web in the benchmark, they only make web's config complete.
	webInboundAddr string
	webServiceAddr string
}

func cmdCerts(_ context.Context, args []string) error {
	var o certOptions
	fs := flag.NewFlagSet("certs", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", "", "directory for ca.pem, web.json and api.json")
	fs.StringVar(&o.trustDomain, "trust-domain", "bench.appmesh", "SPIFFE trust domain")
	fs.StringVar(&o.namespace, "namespace", "default", "namespace of both services")
	fs.StringVar(&o.upstreamAddr, "upstream-addr", "", "web's local listener for its upstream api (host:port)")
	fs.StringVar(&o.inboundAddr, "inbound-addr", "", "api's mTLS listener (host:port)")
	fs.StringVar(&o.serviceAddr, "service-addr", "", "the benchmark server api's proxy forwards to (host:port)")
	fs.StringVar(&o.webInboundAddr, "web-inbound-addr", "", "web's own mTLS listener (host:port, unused by the load)")
	fs.StringVar(&o.webServiceAddr, "web-service-addr", "", "web's own service address (host:port, unused by the load)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if o.dir == "" || o.upstreamAddr == "" || o.inboundAddr == "" || o.serviceAddr == "" {
		return usageError{"-dir, -upstream-addr, -inbound-addr and -service-addr are required"}
	}
	web, api, caPEM, err := proxyConfigs(o, time.Now())
	if err != nil {
		return err
	}
	files := map[string]any{"web.json": web, "api.json": api}
	for name, v := range files {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		// The files hold private keys.
		if err := os.WriteFile(filepath.Join(o.dir, name), append(b, '\n'), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return os.WriteFile(filepath.Join(o.dir, "ca.pem"), []byte(caPEM), 0o644)
}

// proxyConfigs makes a throwaway CA, a leaf for web and one for api, and
// the static configs of their two proxies.
func proxyConfigs(o certOptions, now time.Time) (web, api *structs.MeshProxyConfig, caPEM string, err error) {
	ca, caKey, caPEM, err := newCA(o.trustDomain, now)
	if err != nil {
		return nil, nil, "", err
	}
	mk := func(service string) (*structs.MeshProxyConfig, error) {
		id := structs.MeshSPIFFEID(o.trustDomain, o.namespace, service)
		certPEM, keyPEM, err := newLeaf(ca, caKey, service, id, now)
		if err != nil {
			return nil, fmt.Errorf("leaf for %s: %w", service, err)
		}
		return &structs.MeshProxyConfig{
			Index: 1, Namespace: o.namespace, Service: service, SPIFFEID: id, TrustDomain: o.trustDomain,
			Protocol:    "tcp",
			LeafCertPEM: certPEM, LeafKeyPEM: keyPEM, RootsPEM: []string{caPEM},
			Intentions: []*structs.Intention{}, DefaultAllow: true,
			Upstreams: []*structs.MeshUpstreamConfig{},
		}, nil
	}
	if web, err = mk("web"); err != nil {
		return nil, nil, "", err
	}
	if api, err = mk("api"); err != nil {
		return nil, nil, "", err
	}
	api.InboundAddr, api.LocalServiceAddr = o.inboundAddr, o.serviceAddr
	web.InboundAddr, web.LocalServiceAddr = o.webInboundAddr, o.webServiceAddr
	host, portStr, err := net.SplitHostPort(o.inboundAddr)
	if err != nil {
		return nil, nil, "", fmt.Errorf("-inbound-addr: %w", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, nil, "", fmt.Errorf("-inbound-addr port: %w", err)
	}
	web.Upstreams = []*structs.MeshUpstreamConfig{{
		DestinationNamespace: o.namespace, DestinationName: "api",
		LocalBindAddr: o.upstreamAddr, Protocol: "tcp",
		Instances: []*structs.MeshInstance{{
			Address: host, Port: port, SPIFFEID: api.SPIFFEID, AllocID: "meshbench-api",
		}},
		ConnectTimeout: structs.Duration(5 * time.Second),
	}}
	return web, api, caPEM, nil
}

func newCA(trustDomain string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, "", fmt.Errorf("CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "meshbench CA " + trustDomain},
		URIs:                  []*url.URL{{Scheme: "spiffe", Host: trustDomain}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, "", fmt.Errorf("self-sign CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, "", fmt.Errorf("parse CA: %w", err)
	}
	return cert, key, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// newLeaf signs a leaf for one service, usable as client and as server.
func newLeaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, service, spiffeID string, now time.Time) (certPEM, keyPEM string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("key: %w", err)
	}
	uri, err := url.Parse(spiffeID)
	if err != nil {
		return "", "", fmt.Errorf("parse %s: %w", spiffeID, err)
	}
	serial, err := newSerial()
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: service},
		URIs:         []*url.URL{uri},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", fmt.Errorf("sign: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("encode key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})), nil
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	return n, nil
}
