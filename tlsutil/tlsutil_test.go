package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustCA(t *testing.T) ([]byte, []byte) {
	t.Helper()
	c, k, err := GenerateCA(CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func parse(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(p)
	if b == nil {
		t.Fatal("not PEM")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Each role's certificate carries its role name (and no other role's),
// the usages it needs, and the extra names asked for.
func TestGenerateCert_RolesAndNames(t *testing.T) {
	ca, key := mustCA(t)
	if c := parse(t, ca); !c.IsCA || c.PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("CA: IsCA %v, key %v", c.IsCA, c.PublicKeyAlgorithm)
	}
	for _, role := range []string{RoleServer, RoleClient, RoleCLI} {
		cp, _, err := GenerateCert(CertOptions{Role: role, Region: "eu", CACert: ca, CAKey: key,
			DNSNames: []string{"s1.example.com"}, IPs: []net.IP{net.ParseIP("10.0.0.7")}})
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		c := parse(t, cp)
		want := role + ".eu.appmesh"
		if !HasName(c, want) || !HasName(c, "s1.example.com") {
			t.Errorf("%s: names %v, want %s and s1.example.com", role, c.DNSNames, want)
		}
		for _, other := range []string{RoleServer, RoleClient, RoleCLI} {
			if other != role && HasName(c, other+".eu.appmesh") {
				t.Errorf("%s certificate also names %s", role, other)
			}
		}
		if !strings.Contains(strings.Join(ipStrings(c.IPAddresses), ","), "10.0.0.7") {
			t.Errorf("%s: IPs %v lack 10.0.0.7", role, c.IPAddresses)
		}
		roots := x509.NewCertPool()
		roots.AddCert(parse(t, ca))
		_, err = c.Verify(x509.VerifyOptions{Roots: roots, DNSName: want, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		if err != nil {
			t.Errorf("%s: does not verify as a client of the CA: %v", role, err)
		}
		_, err = c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if (err == nil) != (role != RoleCLI) {
			t.Errorf("%s: verifies as a TLS server: %v", role, err == nil)
		}
	}
	if _, _, err := GenerateCert(CertOptions{Role: "admin", CACert: ca, CAKey: key}); err == nil {
		t.Error("an unknown role was accepted")
	}
	_, otherKey := mustCA(t)
	if _, _, err := GenerateCert(CertOptions{Role: RoleServer, CACert: ca, CAKey: otherKey}); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("a CA key of another CA: %v", err)
	}
	if _, _, err := GenerateCert(CertOptions{Role: RoleServer, CACert: ca, CAKey: key, Days: -1}); err == nil {
		t.Error("negative days accepted")
	}
}

func ipStrings(ips []net.IP) []string {
	var out []string
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	return out
}

// A store refuses a certificate its CA did not sign, and a wildcard name
// does not make a server.
func TestStore_RefusesForeignCertificateAndWildcards(t *testing.T) {
	dir := t.TempDir()
	ca, key := mustCA(t)
	otherCA, otherKey := mustCA(t)
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert, ckey, err := GenerateCert(CertOptions{Role: RoleServer, CACert: otherCA, CAKey: otherKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewStore(Files{CAFile: write("ca.pem", ca), CertFile: write("c.pem", cert), KeyFile: write("k.pem", ckey)})
	if err == nil || !strings.Contains(err.Error(), "not signed by ca_file") {
		t.Fatalf("a certificate of another CA: %v", err)
	}
	if _, err := NewStore(Files{CAFile: write("ca2.pem", ca)}); err == nil || !strings.Contains(err.Error(), "cert_file") {
		t.Fatalf("missing files: %v", err)
	}
	wild, _, err := GenerateCert(CertOptions{Role: RoleClient, CACert: ca, CAKey: key, DNSNames: []string{"*.global.appmesh"}})
	if err != nil {
		t.Fatal(err)
	}
	if HasName(parse(t, wild), "server.global.appmesh") {
		t.Fatal("a wildcard certificate counts as a server")
	}
}

// A listener that requires client certificates refuses a caller without
// one; without the requirement it serves it (HTTPS without
// verify_https_client). A client checks the server name only when asked.
func TestStore_ClientCertificateRequirement(t *testing.T) {
	dir := t.TempDir()
	ca, key := mustCA(t)
	files := func(role string) Files {
		c, k, err := GenerateCert(CertOptions{Role: role, CACert: ca, CAKey: key})
		if err != nil {
			t.Fatal(err)
		}
		f := Files{CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, role+".pem"), KeyFile: filepath.Join(dir, role+"-key.pem")}
		for p, d := range map[string][]byte{f.CAFile: ca, f.CertFile: c, f.KeyFile: k} {
			if err := os.WriteFile(p, d, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return f
	}
	srv, err := NewStore(files(RoleServer))
	if err != nil {
		t.Fatal(err)
	}
	clientFiles := files(RoleClient)
	handshake := func(server *tls.Config, client *tls.Config) error {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		errc := make(chan error, 1)
		go func() {
			sc := tls.Server(a, server)
			err := sc.Handshake()
			if err == nil {
				// TLS 1.3: the client's certificate is checked after the
				// client finished; make it read the verdict.
				_, err = sc.Write([]byte{1})
			}
			a.Close()
			errc <- err
		}()
		cc := tls.Client(b, client)
		cerr := cc.Handshake()
		if cerr == nil {
			_, cerr = io.ReadFull(cc, make([]byte, 1))
		}
		b.Close()
		serr := <-errc
		if serr != nil {
			return serr
		}
		return cerr
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	anon := &tls.Config{RootCAs: pool, ServerName: "localhost"}
	if err := handshake(srv.ServerConfig(true), anon); err == nil {
		t.Fatal("mutual TLS served a caller without a certificate")
	}
	if err := handshake(srv.ServerConfig(false), anon); err != nil {
		t.Fatalf("HTTPS without client verification refused a caller without a certificate: %v", err)
	}
	// A client dialing a "server" that holds a client certificate: refused
	// with VerifyServerHostname, accepted (same CA) without it.
	impostor, err := NewStore(clientFiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, verify := range []bool{true, false} {
		f := clientFiles
		f.VerifyServerHostname = verify
		dialer, err := NewStore(f)
		if err != nil {
			t.Fatal(err)
		}
		err = handshake(impostor.ServerConfig(true), dialer.ClientConfig())
		if (err != nil) != verify {
			t.Errorf("verify_server_hostname=%v: handshake with a client certificate as server: %v", verify, err)
		}
		// Agent to agent (App Mesh forwarding): a client agent's HTTPS is
		// reached whatever verify_server_hostname says.
		if err := handshake(impostor.ServerConfig(false), dialer.AgentClientConfig()); err != nil {
			t.Errorf("verify_server_hostname=%v: agent to client agent: %v", verify, err)
		}
	}
	// A certificate of the CA that names no agent of this region is not
	// an agent's HTTPS.
	c, k, err := GenerateCert(CertOptions{Role: RoleServer, Region: "elsewhere", CACert: ca, CAKey: key})
	if err != nil {
		t.Fatal(err)
	}
	f := Files{CAFile: clientFiles.CAFile, CertFile: filepath.Join(dir, "else.pem"), KeyFile: filepath.Join(dir, "else-key.pem")}
	for p, d := range map[string][]byte{f.CertFile: c, f.KeyFile: k} {
		if err := os.WriteFile(p, d, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	elsewhere, err := NewStore(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := handshake(elsewhere.ServerConfig(false), impostor.AgentClientConfig()); err == nil {
		t.Error("agent to an agent of another region: accepted")
	}
}
