package agent

import (
	"fmt"
	"os"

	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/tlsutil"
)

// TLSConfig is the agent's `tls` block (website/security.md):
//
//	tls {
//	  http = true                  # HTTPS for the API
//	  rpc  = true                  # mutual TLS on the RPC/Raft port
//	  ca_file   = "appmesh-agent-ca.pem"
//	  cert_file = "global-server-appmesh.pem"
//	  key_file  = "global-server-appmesh-key.pem"
//	  verify_server_hostname = true  # a server must be server.<region>.appmesh
//	  verify_https_client    = true  # the API wants a certificate of the CA
//	}
type TLSConfig struct {
	HTTP     bool   `hcl:"http,optional"`
	RPC      bool   `hcl:"rpc,optional"`
	CAFile   string `hcl:"ca_file,optional"`
	CertFile string `hcl:"cert_file,optional"`
	KeyFile  string `hcl:"key_file,optional"`
	// VerifyServerHostname makes every dialer (client agents, servers)
	// check that the server it reaches holds server.<region>.appmesh.
	// Servers always check it of a server that joins Raft.
	VerifyServerHostname bool `hcl:"verify_server_hostname,optional"`
	// VerifyHTTPSClient makes the HTTPS API refuse callers without a
	// certificate of the CA (the CLI's -client-cert).
	VerifyHTTPSClient bool `hcl:"verify_https_client,optional"`
	// Region is the region named in the certificates ("global").
	Region string `hcl:"region,optional"`
}

// on reports whether TLS is used anywhere.
func (t *TLSConfig) on() bool { return t != nil && (t.HTTP || t.RPC) }

// rpcOn reports whether the RPC port runs mutual TLS.
func (t *TLSConfig) rpcOn() bool { return t != nil && t.RPC }

// problems checks the block and loads the files; a server's certificate
// must carry the server name, or no other server would take it for one.
func (t *TLSConfig) problems(server bool) []string {
	if !t.on() {
		return nil
	}
	var out []string
	for name, path := range map[string]string{"ca_file": t.CAFile, "cert_file": t.CertFile, "key_file": t.KeyFile} {
		if path == "" {
			out = append(out, fmt.Sprintf("tls: %s is required with http or rpc on", name))
			continue
		}
		if _, err := os.Stat(path); err != nil {
			out = append(out, fmt.Sprintf("tls: %s: %v", name, err))
		}
	}
	if len(out) > 0 {
		return out
	}
	store, err := tlsutil.NewStore(t.files())
	if err != nil {
		return []string{err.Error()}
	}
	if t.RPC && server && !tlsutil.HasName(store.Leaf(), store.ServerName()) {
		return []string{fmt.Sprintf("tls: cert_file %s does not carry the name %s, which a server needs (make one with `appmesh tls cert create -server`)", t.CertFile, store.ServerName())}
	}
	return nil
}

// files is what tlsutil loads.
func (t *TLSConfig) files() tlsutil.Files {
	return tlsutil.Files{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		Region: t.Region, VerifyServerHostname: t.VerifyServerHostname}
}

// gossipKeyProblems checks -encrypt / server { encrypt } before anything
// starts.
func gossipKeyProblems(key string) []string {
	if key == "" {
		return nil
	}
	if _, err := server.DecodeGossipKey(key); err != nil {
		return []string{"server encrypt (-encrypt): " + err.Error()}
	}
	return nil
}
