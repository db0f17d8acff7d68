package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/tlsutil"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
)

// testPKI is a CA and the certificates it signed, on disk.
type testPKI struct {
	t          testing.TB
	dir        string
	caPEM, key []byte
	caFile     string
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	dir := t.TempDir()
	ca, key, err := tlsutil.GenerateCA(tlsutil.CAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{t: t, dir: dir, caPEM: ca, key: key, caFile: filepath.Join(dir, "ca.pem")}
	if err := os.WriteFile(p.caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// files writes a new certificate of role and returns the store's files.
func (p *testPKI) files(role, name string) tlsutil.Files {
	p.t.Helper()
	cert, key, err := tlsutil.GenerateCert(tlsutil.CertOptions{Role: role, CACert: p.caPEM, CAKey: p.key})
	if err != nil {
		p.t.Fatal(err)
	}
	f := tlsutil.Files{CAFile: p.caFile, CertFile: filepath.Join(p.dir, name+".pem"), KeyFile: filepath.Join(p.dir, name+"-key.pem"), VerifyServerHostname: true}
	if err := os.WriteFile(f.CertFile, cert, 0o600); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(f.KeyFile, key, 0o600); err != nil {
		p.t.Fatal(err)
	}
	return f
}

func (p *testPKI) store(role, name string) *tlsutil.Store {
	p.t.Helper()
	s, err := tlsutil.NewStore(p.files(role, name))
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// tlsPool is a connection pool that dials with the store's certificate.
func tlsPool(st *tlsutil.Store) *transport.Pool {
	p := transport.NewPool(hclog.NewNullLogger())
	p.TLS = func(ctx context.Context, c net.Conn) (net.Conn, error) { return st.Client(ctx, c) }
	return p
}

// secureCluster starts n servers with mutual TLS (server certificates of
// pki) and gossip encrypted with key, and waits for one leader.
func secureCluster(t *testing.T, pki *testPKI, n int, key string) ([]*Server, []string) {
	t.Helper()
	gossip := make([]string, n)
	for i := range gossip {
		gossip[i] = freeAddr(t)
	}
	servers := make([]*Server, n)
	for i := range servers {
		servers[i] = testServerNoWait(t, func(c *Config) {
			c.NodeName = fmt.Sprintf("s%d", i+1)
			c.DataDir = t.TempDir()
			c.BootstrapExpect = n
			c.GossipAddr = gossip[i]
			c.Join = []string{gossip[0]}
			c.TLS = pki.store(tlsutil.RoleServer, c.NodeName)
			c.GossipKey = key
		})
	}
	waitFor(t, "one leader known by all", func() bool {
		l := servers[0].Leader()
		for _, s := range servers {
			if l == "" || s.Leader() != l {
				return false
			}
		}
		return true
	})
	return servers, gossip
}

// Servers with server certificates form a cluster over mutual TLS and
// replicate. A machine with a client certificate of the same CA (and the
// gossip key) is never made a voter, and cannot open a Raft connection.
func TestTLS_ClientCertificateCannotActAsServer(t *testing.T) {
	pki := newTestPKI(t)
	servers, gossip := secureCluster(t, pki, 3, "")
	leader, _ := leaderOf(servers)
	if leader == nil {
		t.Fatal("no leader")
	}
	registerJob(t, leader, testJob("over-tls", 1, 64))
	waitFor(t, "the job on every server", func() bool {
		for _, s := range servers {
			if j, _ := s.State().JobByID(nil, structs.DefaultNamespace, "over-tls"); j == nil {
				return false
			}
		}
		return true
	})
	if v := raftVoters(t, leader); len(v) != 3 {
		t.Fatalf("voters %v, want the 3 servers", v)
	}

	rogue := testServerNoWait(t, func(c *Config) {
		c.NodeName = "rogue"
		c.DataDir = t.TempDir()
		c.BootstrapExpect = 3
		c.GossipAddr = freeAddr(t)
		c.Join = []string{gossip[0]}
		c.TLS = pki.store(tlsutil.RoleClient, "rogue")
	})
	waitFor(t, "the leader refused the rogue's proof", func() bool {
		leader, _ = leaderOf(servers)
		if leader == nil {
			return false
		}
		leader.memberProofs.mu.Lock()
		defer leader.memberProofs.mu.Unlock()
		_, refused := leader.memberProofs.failed[transport.ServerIdentity{ID: rogueID(rogue), Addr: rogue.config.RPCAddr}]
		return refused
	})
	if raftVoters(t, leader)[rogue.config.RPCAddr] {
		t.Fatal("a machine with a client certificate was made a voter")
	}

	// A Raft connection with a client certificate is closed unanswered.
	client := pki.store(tlsutil.RoleClient, "raw-client")
	conn, err := net.DialTimeout("tcp", leader.config.RPCAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc, err := client.Client(context.Background(), conn)
	if err != nil {
		t.Fatalf("a client certificate of the CA must pass TLS: %v", err)
	}
	if _, err := tc.Write([]byte{transport.ConnRaft}); err != nil {
		t.Fatal(err)
	}
	_ = tc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := tc.Read(make([]byte, 1)); err == nil || n > 0 {
		t.Fatalf("a Raft connection with a client certificate was kept open (read %d, %v)", n, err)
	}

	// Over a client certificate's session, server-only calls are refused;
	// a server certificate's session may make them.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var reply structs.ClientCallResponse
	cp := tlsPool(client)
	defer cp.Close()
	err = cp.RPC(ctx, leader.config.RPCAddr, "Node.ClientCall", &structs.ClientCallRequest{NodeID: "n1", Op: "alloc.signal", NoForward: true}, &reply)
	if err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("a relayed call over a client certificate: %v, want Permission denied", err)
	}
	sp := tlsPool(pki.store(tlsutil.RoleServer, "peer"))
	defer sp.Close()
	err = sp.RPC(ctx, leader.config.RPCAddr, "Node.ClientCall", &structs.ClientCallRequest{NodeID: "n1", Op: "alloc.signal", NoForward: true}, &reply)
	if err == nil || !strings.Contains(err.Error(), "not connected to this server") {
		t.Fatalf("a relayed call over a server certificate: %v, want the node's absence", err)
	}
}

// A plaintext connection, a certificate of another CA and no certificate
// at all are refused on a TLS RPC port; a client certificate of the CA
// gets its answers.
func TestTLS_RPCPortRefusesPlaintextAndStrangers(t *testing.T) {
	pki := newTestPKI(t)
	s := testServer(t, func(c *Config) { c.TLS = pki.store(tlsutil.RoleServer, "s1") })
	addr := s.config.RPCAddr
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var leader string

	plain := transport.NewPool(hclog.NewNullLogger())
	defer plain.Close()
	if err := plain.RPC(ctx, addr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err == nil {
		t.Fatal("a plaintext RPC was answered on a TLS port")
	}

	other := tlsPool(newTestPKI(t).store(tlsutil.RoleServer, "foreign"))
	defer other.Close()
	err := other.RPC(ctx, addr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader)
	if err == nil || !strings.Contains(err.Error(), "tls") {
		t.Fatalf("a certificate of another CA: %v, want a TLS refusal", err)
	}

	// TLS without a client certificate.
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	anon := tls.Client(conn, &tls.Config{InsecureSkipVerify: true})
	_ = anon.SetDeadline(time.Now().Add(10 * time.Second))
	if err := anon.Handshake(); err == nil {
		// TLS 1.3 reports the refusal on the first read.
		_, _ = anon.Write([]byte{transport.ConnRPC})
		if _, err := io.ReadFull(anon, make([]byte, 1)); err == nil {
			t.Fatal("a connection without a client certificate was served")
		}
	}

	cliCert := tlsPool(pki.store(tlsutil.RoleCLI, "cli"))
	defer cliCert.Close()
	if err := cliCert.RPC(ctx, addr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err == nil {
		t.Fatal("a CLI certificate was served on the RPC port")
	}

	good := tlsPool(pki.store(tlsutil.RoleClient, "c1"))
	defer good.Close()
	if err := good.RPC(ctx, addr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err != nil || leader != addr {
		t.Fatalf("a client certificate of the CA: leader %q, %v", leader, err)
	}
}

// A reload changes the certificate new connections get, and an open
// session keeps working across it.
func TestTLS_ReloadKeepsOpenSessions(t *testing.T) {
	pki := newTestPKI(t)
	files := pki.files(tlsutil.RoleServer, "s1")
	store, err := tlsutil.NewStore(files)
	if err != nil {
		t.Fatal(err)
	}
	s := testServer(t, func(c *Config) { c.TLS = store })
	addr := s.config.RPCAddr
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	clientStore := pki.store(tlsutil.RoleClient, "c1")
	pool := tlsPool(clientStore)
	defer pool.Close()
	var leader string
	if err := pool.RPC(ctx, addr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err != nil {
		t.Fatal(err)
	}
	before := servedSerial(t, clientStore, addr)

	// New files in place, then the reload (what SIGHUP does).
	newFiles := pki.files(tlsutil.RoleServer, "s1-renewed")
	for _, cp := range [][2]string{{newFiles.CertFile, files.CertFile}, {newFiles.KeyFile, files.KeyFile}} {
		data, err := os.ReadFile(cp[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cp[1], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Reload(); err != nil {
		t.Fatal(err)
	}
	after := servedSerial(t, clientStore, addr)
	if before == after {
		t.Fatalf("the server still presents certificate %s after the reload", before)
	}
	// The pool's session predates the reload: it is still the one used,
	// and it still works.
	for i := 0; i < 3; i++ {
		if err := pool.RPC(ctx, addr, structs.StatusLeaderRPC, &structs.GenericRequest{}, &leader); err != nil {
			t.Fatalf("the session opened before the reload failed after it: %v", err)
		}
	}
	// A broken file is refused, and the store keeps the working one.
	if err := os.WriteFile(files.CertFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Reload(); err == nil {
		t.Fatal("a broken certificate file was loaded")
	}
	if got := servedSerial(t, clientStore, addr); got != after {
		t.Fatalf("after a failed reload the server presents %s, want %s", got, after)
	}
}

// servedSerial returns the serial number of the certificate addr presents.
func servedSerial(t *testing.T, st *tlsutil.Store, addr string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc, err := st.Client(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	return tc.ConnectionState().PeerCertificates[0].SerialNumber.String()
}
