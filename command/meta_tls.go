package command

import (
	"flag"

	"github.com/appmesh/appmesh/api"
)

// tlsFlags are the HTTPS options every client command takes.
type tlsFlags struct {
	caCert, clientCert, clientKey, serverName string
	skipVerify                                bool
}

func (t *tlsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.caCert, "ca-cert", "", "")
	fs.StringVar(&t.clientCert, "client-cert", "", "")
	fs.StringVar(&t.clientKey, "client-key", "", "")
	fs.StringVar(&t.serverName, "tls-server-name", "", "")
	fs.BoolVar(&t.skipVerify, "tls-skip-verify", false, "")
}

// apply lays the flags given over the environment's settings (env may be
// nil); nil when neither sets anything.
func (t *tlsFlags) apply(env *api.TLSConfig) *api.TLSConfig {
	out := api.TLSConfig{}
	if env != nil {
		out = *env
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&out.CACert, t.caCert)
	set(&out.ClientCert, t.clientCert)
	set(&out.ClientKey, t.clientKey)
	set(&out.TLSServerName, t.serverName)
	if t.skipVerify {
		out.Insecure = true
	}
	if out == (api.TLSConfig{}) {
		return nil
	}
	return &out
}
