package e2e

import (
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An agent with tls { http rpc verify_https_client } refuses plaintext on
// both ports, a caller without a certificate and one whose certificate
// another CA signed; SIGHUP loads a new certificate for new connections
// while an open connection keeps going.
func TestTLS_RefusalsAndReloadOnSIGHUP(t *testing.T) {
	t.Parallel()
	f := newSecureFiles(t)
	a := startAgent(t, agentOptions{secure: f})
	base := a.addr

	// Plaintext HTTP to the HTTPS port gets no API answer.
	plain := &http.Client{Timeout: 10 * time.Second}
	if resp, err := plain.Get(strings.Replace(base, "https://", "http://", 1) + "/v1/agent/self"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "datacenter") {
			t.Fatalf("plaintext HTTP was served: %d %s", resp.StatusCode, body)
		}
	}
	// Plaintext on the RPC port: the kind byte of an RPC session is
	// answered with nothing but a closed connection.
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(a.ports.RPC)), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = conn.Write([]byte{0x01, 0x00, 0x00, 0x00, 0x00})
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	answer, err := io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the RPC port kept a plaintext connection open")
	}
	// A TLS alert record (type 21) is all a plaintext peer may get.
	if len(answer) > 0 && answer[0] != 21 {
		t.Fatalf("the RPC port answered plaintext with %q", answer)
	}
	conn.Close()

	get := func(hc *http.Client) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/agent/self", nil)
		req.Header.Set("X-Appmesh-Token", a.token)
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	noCert := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: f.clientTLS(t, "", "")}}
	if _, err := get(noCert); err == nil {
		t.Fatal("a caller without a client certificate was served")
	}
	other := newSecureFiles(t)
	foreign := other.clientTLS(t, other.cliCert, other.cliKey)
	foreign.RootCAs = f.tlsConfig.RootCAs // it trusts the agent; the agent must not trust it
	if _, err := get(&http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: foreign}}); err == nil {
		t.Fatal("a client certificate of another CA was served")
	}

	// One kept-alive connection, open across the reload.
	kept := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: f.tlsConfig.Clone(), MaxIdleConnsPerHost: 1}}
	resp, err := get(kept)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/agent/self: %v %v", resp, err)
	}
	oldSerial := resp.TLS.PeerCertificates[0].SerialNumber.String()

	renewDir := t.TempDir()
	runIn(t, renewDir, "tls", "cert", "create", "-server", "-ca", f.ca, "-key", filepath.Join(f.dir, "appmesh-agent-ca-key.pem"))
	replaceFile(t, filepath.Join(renewDir, "global-server-appmesh.pem"), f.serverCert)
	replaceFile(t, filepath.Join(renewDir, "global-server-appmesh-key.pem"), f.serverKey)
	a.mu.Lock()
	proc := a.cmd.Process
	a.mu.Unlock()
	if err := proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	a.waitFor("the agent to log the reload", func() (bool, string) {
		return strings.Contains(a.log.String(), "reloaded TLS certificates"), "not logged yet"
	})

	reused := false
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }}
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/agent/self", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	req.Header.Set("X-Appmesh-Token", a.token)
	resp, err = kept.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the connection opened before SIGHUP: %v %v", resp, err)
	}
	resp.Body.Close()
	if !reused || resp.TLS.PeerCertificates[0].SerialNumber.String() != oldSerial {
		t.Fatalf("the request after SIGHUP did not go over the open connection (reused %v)", reused)
	}
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: f.tlsConfig.Clone()}}
	resp, err = get(fresh)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a new connection after SIGHUP: %v %v", resp, err)
	}
	if got := resp.TLS.PeerCertificates[0].SerialNumber.String(); got == oldSerial {
		t.Fatalf("a new connection after SIGHUP still gets the old certificate %s", got)
	}
	select {
	case <-a.exited:
		t.Fatalf("the agent exited on SIGHUP: %v", a.exitErr())
	default:
	}
	// The CLI with the CLI certificate still works, through -ca-cert etc.
	if r := a.cli("server members"); r.code != 0 {
		t.Fatalf("appmesh server members over HTTPS: %s", r)
	}
}

// replaceFile puts src's content at dst in one rename.
func replaceFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}
