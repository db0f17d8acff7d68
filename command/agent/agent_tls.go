package agent

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/appmesh/appmesh/tlsutil"
	"github.com/appmesh/appmesh/transport"
)

// setupTLS loads the tls block's files and, with http on, wraps the HTTP
// listener so that the API speaks only HTTPS. The store is shared by the
// API, the server and the client's RPC, and Reload (SIGHUP) refreshes it
// for all of them at once.
func (a *Agent) setupTLS(ln net.Listener) (net.Listener, error) {
	t := a.config.TLS
	if !t.on() {
		return ln, nil
	}
	store, err := tlsutil.NewStore(t.files())
	if err != nil {
		ln.Close()
		return nil, err
	}
	a.tls = store
	if !t.HTTP {
		return ln, nil
	}
	return tls.NewListener(ln, store.ServerConfig(t.VerifyHTTPSClient)), nil
}

// rpcTLS is the store of the RPC port, or nil when it is plaintext.
func (a *Agent) rpcTLS() *tlsutil.Store {
	if !a.config.TLS.rpcOn() {
		return nil
	}
	return a.tls
}

// rpcTLSDialer is how a client-only agent opens its connections to the
// servers: mutual TLS with its own certificate, or plaintext.
func (a *Agent) rpcTLSDialer() transport.TLSDialer {
	store := a.rpcTLS()
	if store == nil {
		return nil
	}
	return func(ctx context.Context, conn net.Conn) (net.Conn, error) { return store.Client(ctx, conn) }
}

// ReloadTLS reads the certificate, key and CA files again (SIGHUP). New
// connections use them; open ones keep going. On error the agent keeps
// the files it had.
func (a *Agent) ReloadTLS() error {
	if a.tls == nil {
		return nil
	}
	if err := a.tls.Reload(); err != nil {
		return err
	}
	leaf := a.tls.Leaf()
	a.logger.Info("reloaded TLS certificates", "subject", leaf.Subject.CommonName, "not_after", leaf.NotAfter)
	return nil
}

// HTTPURL is the API's base URL (https with tls http on).
func (a *Agent) HTTPURL() string {
	if a.config.TLS != nil && a.config.TLS.HTTP {
		return "https://" + a.httpAddr
	}
	return "http://" + a.httpAddr
}
