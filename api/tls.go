package api

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// Environment variables for TLS, read by DefaultConfig.
const (
	EnvCACert        = "APPMESH_CACERT"
	EnvClientCert    = "APPMESH_CLIENT_CERT"
	EnvClientKey     = "APPMESH_CLIENT_KEY"
	EnvTLSServerName = "APPMESH_TLS_SERVER_NAME"
	EnvSkipVerify    = "APPMESH_SKIP_VERIFY"
)

// TLSConfig says how to reach an agent whose API speaks HTTPS
// (tls { http = true }).
type TLSConfig struct {
	// CACert is a PEM file of the CA that signed the agent's certificate
	// (appmesh-agent-ca.pem); empty: the system's roots.
	CACert string
	// ClientCert and ClientKey are the PEM certificate and key presented
	// to an agent with verify_https_client (e.g. global-cli-appmesh.pem).
	ClientCert string
	ClientKey  string
	// TLSServerName is the name checked in the agent's certificate instead
	// of the address's host, e.g. "server.global.appmesh".
	TLSServerName string
	// Insecure skips checking the agent's certificate. For tests only:
	// anyone on the path can then read the token.
	Insecure bool
}

func (t *TLSConfig) empty() bool {
	return t == nil || (t.CACert == "" && t.ClientCert == "" && t.ClientKey == "" && t.TLSServerName == "" && !t.Insecure)
}

// tlsFromEnv reads the APPMESH_* TLS variables; nil when none is set.
func tlsFromEnv() *TLSConfig {
	t := &TLSConfig{
		CACert:        strings.TrimSpace(os.Getenv(EnvCACert)),
		ClientCert:    strings.TrimSpace(os.Getenv(EnvClientCert)),
		ClientKey:     strings.TrimSpace(os.Getenv(EnvClientKey)),
		TLSServerName: strings.TrimSpace(os.Getenv(EnvTLSServerName)),
	}
	if v := os.Getenv(EnvSkipVerify); v != "" {
		t.Insecure, _ = strconv.ParseBool(v)
	}
	if t.empty() {
		return nil
	}
	return t
}

// build turns the files into a tls.Config.
func (t *TLSConfig) build() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.TLSServerName, InsecureSkipVerify: t.Insecure}
	if t.CACert != "" {
		pem, err := os.ReadFile(t.CACert)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificate %s holds no PEM certificate", t.CACert)
		}
		cfg.RootCAs = pool
	}
	if (t.ClientCert == "") != (t.ClientKey == "") {
		return nil, errors.New("a client certificate needs its key and the other way round: give both -client-cert and -client-key")
	}
	if t.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s and key %s: %w", t.ClientCert, t.ClientKey, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// applyTLS returns hc with the TLS config on a copy of its transport
// (the caller's client is left as it was).
func applyTLS(hc *http.Client, t *TLSConfig) (*http.Client, error) {
	if t.empty() {
		return hc, nil
	}
	cfg, err := t.build()
	if err != nil {
		return nil, err
	}
	var tr *http.Transport
	switch rt := hc.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = rt.Clone()
	default:
		return nil, fmt.Errorf("TLSConfig is set, but the given HTTPClient's transport is a %T: set its TLS yourself or use an *http.Transport", rt)
	}
	tr.TLSClientConfig = cfg
	out := *hc
	out.Transport = tr
	return &out, nil
}
