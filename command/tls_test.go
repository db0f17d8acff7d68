package command

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mitchellh/cli"
)

// tls ca create and tls cert create write the files under Nomad-like
// names, never overwrite them, and refuse bad flags with a usage error.
func TestTLSCommands_CreateFiles(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(wd) })

	if code, _, errs := runCmd(cli.NewMockUi(), "tls", "cert", "create", "-server"); code != 1 || !strings.Contains(errs, "tls ca create") {
		t.Fatalf("cert create without a CA: exit %d, %s", code, errs)
	}
	if code, out, errs := runCmd(cli.NewMockUi(), "tls", "ca", "create"); code != 0 || !strings.Contains(out, "appmesh-agent-ca.pem") {
		t.Fatalf("ca create: exit %d, %s %s", code, out, errs)
	}
	if code, _, errs := runCmd(cli.NewMockUi(), "tls", "ca", "create"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("a second ca create: exit %d, %s", code, errs)
	}
	code, out, errs := runCmd(cli.NewMockUi(), "tls", "cert", "create", "-server", "-region", "eu", "-days", "30",
		"-additional-dnsname", "s1.example.com", "-additional-ipaddress", "10.0.0.5")
	if code != 0 || !strings.Contains(out, "server.eu.appmesh") {
		t.Fatalf("cert create -server: exit %d, %s %s", code, out, errs)
	}
	data, err := os.ReadFile(filepath.Join(dir, "eu-server-appmesh.pem"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cert.DNSNames, ",") != "server.eu.appmesh,localhost,s1.example.com" || len(cert.IPAddresses) != 2 {
		t.Fatalf("names %v, IPs %v", cert.DNSNames, cert.IPAddresses)
	}
	if fi, err := os.Stat(filepath.Join(dir, "eu-server-appmesh-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	for _, bad := range [][]string{
		{"tls", "cert", "create"},
		{"tls", "cert", "create", "-server", "-client"},
		{"tls", "cert", "create", "-cli", "-additional-ipaddress", "not-an-ip"},
		{"tls", "cert", "create", "-cli", "-region", "eu west"},
		{"tls", "ca", "create", "extra"},
	} {
		if code, _, _ := runCmd(cli.NewMockUi(), bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, _, errs := runCmd(cli.NewMockUi(), "tls", "cert", "create", "-cli", "-days", "-3"); code != 1 || !strings.Contains(errs, "positive") {
		t.Errorf("-days -3: exit %d, %s", code, errs)
	}
}

// -generate prints a key of 32 bytes with no agent; a malformed key is a
// usage error before any agent is asked.
func TestGossipKeyringCommand(t *testing.T) {
	code, out, errs := runCmd(cli.NewMockUi(), "operator", "gossip", "keyring", "-generate")
	if code != 0 {
		t.Fatalf("-generate: exit %d, %s", code, errs)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(out))
	if err != nil || len(key) != 32 {
		t.Fatalf("-generate printed %q (%v)", out, err)
	}
	for _, bad := range [][]string{
		{"operator", "gossip", "keyring"},
		{"operator", "gossip", "keyring", "-list", "-generate"},
		{"operator", "gossip", "keyring", "-install", "c2hvcnQ="},
		{"operator", "gossip", "keyring", "-use", "not base64!"},
	} {
		if code, _, _ := runCmd(cli.NewMockUi(), bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
