package command

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/api"
)

// agentHTTPClient reaches the agent, over HTTPS with the same APPMESH_*
// variables as every other command when they are set. It has no overall
// timeout: the proxy's queries block.
func agentHTTPClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	env := func(k string) string { return strings.TrimSpace(os.Getenv(k)) }
	ca, cert, key := env(api.EnvCACert), env(api.EnvClientCert), env(api.EnvClientKey)
	skip, _ := strconv.ParseBool(env(api.EnvSkipVerify))
	if ca == "" && cert == "" && env(api.EnvTLSServerName) == "" && !skip {
		return &http.Client{Transport: tr}, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: env(api.EnvTLSServerName),
		InsecureSkipVerify: skip} //nolint:gosec // only when the operator asks
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("agent CA certificate: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("agent CA certificate %s holds no PEM certificate", ca)
		}
		cfg.RootCAs = pool
	}
	if cert != "" || key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("agent client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}
