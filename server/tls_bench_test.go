package server

import (
	"context"
	"net"
	"testing"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/tlsutil"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
)

// BenchmarkRPC_TLS compares a Status.Leader call over plaintext and over
// mutual TLS: on an open session (what clients and servers do all the
// time), and with a new connection per call (dial, handshakes, call).
func BenchmarkRPC_TLS(b *testing.B) {
	for _, mode := range []string{"plain", "tls"} {
		pki := newTestPKI(b)
		var srvStore, cliStore *tlsutil.Store
		if mode == "tls" {
			srvStore, cliStore = pki.store(tlsutil.RoleServer, "s"), pki.store(tlsutil.RoleClient, "c")
		}
		s, err := NewServer(&Config{NodeName: "bench", DevMode: true, RPCAddr: benchAddr(b), Logger: hclog.NewNullLogger(), TLS: srvStore})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := s.WaitForLeader(ctx); err != nil {
			b.Fatal(err)
		}
		newPool := func() *transport.Pool {
			if cliStore != nil {
				return tlsPool(cliStore)
			}
			return transport.NewPool(hclog.NewNullLogger())
		}
		var leader string
		b.Run(mode+"/open-session", func(b *testing.B) {
			p := newPool()
			defer p.Close()
			for i := 0; i < b.N; i++ {
				if err := p.RPC(ctx, s.config.RPCAddr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(mode+"/new-connection", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p := newPool()
				if err := p.RPC(ctx, s.config.RPCAddr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err != nil {
					b.Fatal(err)
				}
				p.Close()
			}
		})
		_ = s.Shutdown()
	}
}

func benchAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
