package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/appmesh/appmesh/tlsutil"
)

// TLSCommand groups the certificate subcommands.
type TLSCommand struct{ Meta }

func (c *TLSCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "tls", synopsis: "Make the CA and certificates of a cluster's mutual TLS"}
}
func (c *TLSCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *TLSCommand) Help() string          { return c.ns().Help() }
func (c *TLSCommand) Run(args []string) int { return c.ns().Run(args) }

// TLSCACommand groups the CA subcommands.
type TLSCACommand struct{ Meta }

func (c *TLSCACommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "tls ca", synopsis: "Make the cluster's certificate authority"}
}
func (c *TLSCACommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *TLSCACommand) Help() string          { return c.ns().Help() }
func (c *TLSCACommand) Run(args []string) int { return c.ns().Run(args) }

// TLSCertCommand groups the certificate subcommands.
type TLSCertCommand struct{ Meta }

func (c *TLSCertCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "tls cert", synopsis: "Make server, client and CLI certificates"}
}
func (c *TLSCertCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *TLSCertCommand) Help() string          { return c.ns().Help() }
func (c *TLSCertCommand) Run(args []string) int { return c.ns().Run(args) }

// TLSCACreateCommand writes a new CA into the working directory.
type TLSCACreateCommand struct{ Meta }

func (c *TLSCACreateCommand) Synopsis() string { return "Create a certificate authority" }

func (c *TLSCACreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh tls ca create [options]

  Creates a certificate authority (ECDSA P-256) in the working directory:
  <domain>-agent-ca.pem and <domain>-agent-ca-key.pem. Keep the key off the
  agents: it signs the certificates that make a machine a server.

Options:

  -days=<n>
    Lifetime in days. Default: 1825.

  -domain=<domain>
    The domain of the certificates' names. Default: appmesh.
`)
}

func (c *TLSCACreateCommand) Run(args []string) int {
	fs := flag.NewFlagSet("tls ca create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	days := fs.Int("days", 0, "")
	domain := fs.String("domain", tlsutil.DefaultDomain, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	if err := checkDomain(*domain); err != nil {
		return c.usageError(c.Help(), "%v", err)
	}
	certFile, keyFile := tlsutil.CAFileNames(*domain)
	if err := refuseExisting(certFile, keyFile); err != nil {
		return c.errorf("Error: %v", err)
	}
	cert, key, err := tlsutil.GenerateCA(tlsutil.CAOptions{Domain: *domain, Days: *days})
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if err := writePair(certFile, cert, keyFile, key); err != nil {
		return c.errorf("Error: %v", err)
	}
	c.Ui.Output(fmt.Sprintf("==> CA certificate saved to: %s", certFile))
	c.Ui.Output(fmt.Sprintf("==> CA certificate key saved to: %s", keyFile))
	return exitOK
}

// TLSCertCreateCommand writes a certificate signed by the CA.
type TLSCertCreateCommand struct{ Meta }

func (c *TLSCertCreateCommand) Synopsis() string {
	return "Create a server, client or CLI certificate"
}

func (c *TLSCertCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh tls cert create -server|-client|-cli [options]

  Creates a certificate signed by the CA, with a new ECDSA P-256 key, in
  the working directory: <region>-<role>-<domain>.pem and -key.pem, e.g.
  global-server-appmesh.pem. Its name says the role: server.<region>.<domain>,
  client.<region>.<domain> or cli.<region>.<domain>. Only a server
  certificate lets a machine join Raft as a server. Server and client
  certificates also name localhost and 127.0.0.1.

Options:

  -server, -client, -cli
    The certificate's role (exactly one).

  -ca=<path>, -key=<path>
    The CA certificate and key. Default: <domain>-agent-ca.pem and
    <domain>-agent-ca-key.pem.

  -region=<region>
    The region in the name. Default: global.

  -domain=<domain>
    Default: appmesh.

  -days=<n>
    Lifetime in days. Default: 365.

  -additional-dnsname=<name>, -additional-ipaddress=<ip>
    More names the certificate is valid for, e.g. the address clients and
    the CLI use to reach a server (repeatable).
`)
}

func (c *TLSCertCreateCommand) Run(args []string) int {
	fs := flag.NewFlagSet("tls cert create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	server := fs.Bool("server", false, "")
	client := fs.Bool("client", false, "")
	cli := fs.Bool("cli", false, "")
	caFile := fs.String("ca", "", "")
	caKey := fs.String("key", "", "")
	region := fs.String("region", tlsutil.DefaultRegion, "")
	domain := fs.String("domain", tlsutil.DefaultDomain, "")
	days := fs.Int("days", 0, "")
	var dnsNames, ipAddrs multiFlag
	fs.Var(&dnsNames, "additional-dnsname", "")
	fs.Var(&ipAddrs, "additional-ipaddress", "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	role, n := "", 0
	for r, on := range map[string]bool{tlsutil.RoleServer: *server, tlsutil.RoleClient: *client, tlsutil.RoleCLI: *cli} {
		if on {
			role, n = r, n+1
		}
	}
	if n != 1 {
		return c.usageError(c.Help(), "Give exactly one of -server, -client or -cli.")
	}
	for _, v := range []struct{ what, val string }{{"-domain", *domain}, {"-region", *region}} {
		if err := checkDomain(v.val); err != nil {
			return c.usageError(c.Help(), "%s: %v", v.what, err)
		}
	}
	var ips []net.IP
	for _, s := range ipAddrs {
		ip := net.ParseIP(strings.TrimSpace(s))
		if ip == nil {
			return c.usageError(c.Help(), "-additional-ipaddress %q is not an IP address", s)
		}
		ips = append(ips, ip)
	}
	defCA, defKey := tlsutil.CAFileNames(*domain)
	if *caFile == "" {
		*caFile = defCA
	}
	if *caKey == "" {
		*caKey = defKey
	}
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		return c.errorf("Error reading the CA certificate (create one with `appmesh tls ca create`): %v", err)
	}
	keyPEM, err := os.ReadFile(*caKey)
	if err != nil {
		return c.errorf("Error reading the CA key: %v", err)
	}
	certFile, keyFile := tlsutil.CertFileNames(role, *region, *domain)
	if err := refuseExisting(certFile, keyFile); err != nil {
		return c.errorf("Error: %v", err)
	}
	cert, key, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: role, Region: *region, Domain: *domain, Days: *days,
		DNSNames: dnsNames, IPs: ips, CACert: caPEM, CAKey: keyPEM})
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if err := writePair(certFile, cert, keyFile, key); err != nil {
		return c.errorf("Error: %v", err)
	}
	c.Ui.Output(fmt.Sprintf("==> Using CA file %s and CA key %s", *caFile, *caKey))
	c.Ui.Output(fmt.Sprintf("==> %s certificate (%s) saved to: %s", role, tlsutil.RoleName(role, *region, *domain), certFile))
	c.Ui.Output(fmt.Sprintf("==> %s certificate key saved to: %s", role, keyFile))
	return exitOK
}

// checkDomain accepts a DNS label sequence such as "appmesh" or "eu-west".
func checkDomain(s string) error {
	if s == "" {
		return errors.New("must not be empty")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q is not a DNS name", s)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not a DNS name (letters, digits and '-' only)", s)
			}
		}
	}
	return nil
}

// refuseExisting keeps a second run from overwriting keys in use.
func refuseExisting(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s already exists: move it away first (nothing was written)", p)
		}
	}
	return nil
}

// writePair writes the certificate (0644) and its key (0600); on failure
// neither is left behind.
func writePair(certFile string, cert []byte, keyFile string, key []byte) error {
	if err := writeNew(keyFile, key, 0o600); err != nil {
		return err
	}
	if err := writeNew(certFile, cert, 0o644); err != nil {
		os.Remove(keyFile)
		return err
	}
	return nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
