package api

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/tlsutil"
)

// An HTTPS agent that wants a client certificate of its CA answers a
// client with the CA and the CLI certificate (from the config or the
// environment), and refuses one without them.
func TestTLS_ClientCertificateAndCA(t *testing.T) {
	dir := t.TempDir()
	ca, caKey, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := write("ca.pem", ca)
	srvCert, srvKey, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: tlsutil.RoleServer, CACert: ca, CAKey: caKey})
	if err != nil {
		t.Fatal(err)
	}
	cliCert, cliKey, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: tlsutil.RoleCLI, CACert: ca, CAKey: caKey})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`"` + r.TLS.PeerCertificates[0].Subject.CommonName + `"`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	full := &TLSConfig{CACert: caFile, ClientCert: write("cli.pem", cliCert), ClientKey: write("cli-key.pem", cliKey)}
	c, err := NewClient(&Config{Address: srv.URL, TLSConfig: full})
	if err != nil {
		t.Fatal(err)
	}
	leader, err := c.Status().Leader()
	if err != nil || leader != "cli.global.appmesh" {
		t.Fatalf("with the CA and a CLI certificate: %q, %v", leader, err)
	}

	for name, cfg := range map[string]*TLSConfig{
		"no CA":                 {ClientCert: full.ClientCert, ClientKey: full.ClientKey},
		"no client certificate": {CACert: caFile},
	} {
		c, err := NewClient(&Config{Address: srv.URL, TLSConfig: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Status().Leader(); err == nil {
			t.Errorf("%s: the request went through", name)
		}
	}

	t.Setenv(EnvCACert, caFile)
	t.Setenv(EnvClientCert, full.ClientCert)
	t.Setenv(EnvClientKey, full.ClientKey)
	t.Setenv(EnvAddress, srv.URL)
	c, err = NewClient(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status().Leader(); err != nil {
		t.Fatalf("with the APPMESH_* variables: %v", err)
	}

	_, err = NewClient(&Config{Address: srv.URL, TLSConfig: &TLSConfig{ClientCert: full.ClientCert}})
	if err == nil || !strings.Contains(err.Error(), "-client-key") {
		t.Fatalf("a certificate without its key: %v", err)
	}
}
