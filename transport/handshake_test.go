package transport

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// acceptOne plays a listening server on one end of a pipe: it reads the
// first byte and runs the listener's side (or refuses, without a token).
func acceptOne(t *testing.T, h *Handshake, conn net.Conn) chan byte {
	t.Helper()
	kinds := make(chan byte, 1)
	go func() {
		defer close(kinds)
		var first [1]byte
		if _, err := io.ReadFull(conn, first[:]); err != nil || first[0] != ConnProven {
			conn.Close()
			return
		}
		if h == nil {
			RefuseHandshake(conn)
			conn.Close()
			return
		}
		kind, err := h.Accept(conn)
		if err != nil {
			conn.Close()
			return
		}
		kinds <- kind
	}()
	return kinds
}

func TestHandshake_SameTokenProvesBothWays(t *testing.T) {
	srv := NewHandshake("s3cret", ServerIdentity{ID: "id-b", Addr: "10.0.0.2:6061"})
	cli := NewHandshake("s3cret", ServerIdentity{ID: "id-a", Addr: "10.0.0.1:6061"})
	a, b := net.Pipe()
	defer a.Close()
	kinds := acceptOne(t, srv, b)
	got, err := cli.Dial(a, ConnRaft)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if got != (ServerIdentity{ID: "id-b", Addr: "10.0.0.2:6061"}) {
		t.Fatalf("listener identity %+v", got)
	}
	if k := <-kinds; k != ConnRaft {
		t.Fatalf("listener got kind %#x, want ConnRaft", k)
	}
}

func TestHandshake_WrongTokenIsRefusedAndLeaksNoProof(t *testing.T) {
	srv := NewHandshake("right", ServerIdentity{ID: "id-b", Addr: "b:1"})
	cli := NewHandshake("wrong", ServerIdentity{ID: "id-a", Addr: "a:1"})
	a, b := net.Pipe()
	defer a.Close()
	kinds := acceptOne(t, srv, b)
	_, err := cli.Dial(a, ConnRPC)
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "wrong join token") {
		t.Fatalf("dial with a wrong token: %v", err)
	}
	if k, ok := <-kinds; ok {
		t.Fatalf("listener accepted kind %#x from a wrong token", k)
	}
}

func TestHandshake_ListenerWithoutTokenSaysSo(t *testing.T) {
	cli := NewHandshake("tok", ServerIdentity{ID: "id-a", Addr: "a:1"})
	a, b := net.Pipe()
	defer a.Close()
	acceptOne(t, nil, b)
	_, err := cli.Dial(a, ConnRPC)
	if err == nil || !strings.Contains(err.Error(), ErrNoJoinToken.Error()) {
		t.Fatalf("dial a server without a token: %v", err)
	}
}

// A listener whose token differs from the dialer's cannot fake its proof:
// here it answers "ok" with a proof made with its own (wrong) token.
func TestHandshake_DialerChecksTheListenersProof(t *testing.T) {
	cli := NewHandshake("tok", ServerIdentity{ID: "id-a", Addr: "a:1"})
	liar := NewHandshake("other", ServerIdentity{ID: "id-b", Addr: "b:1"})
	a, b := net.Pipe()
	defer a.Close()
	go func() {
		defer b.Close()
		var first [1]byte
		_, _ = io.ReadFull(b, first[:])
		nonceL := make([]byte, nonceSize)
		_, _ = b.Write(nonceL)
		var msg [nonceSize + 1 + macSize]byte
		if _, err := io.ReadFull(b, msg[:]); err != nil {
			return
		}
		out := appendField(appendField([]byte{statusOK}, "id-b"), "b:1")
		out = append(out, liar.mac(labelListener, nonceL, msg[:nonceSize], []byte{msg[nonceSize]}, []byte("id-b"), []byte("b:1"))...)
		_, _ = b.Write(out)
	}()
	if _, err := cli.Dial(a, ConnRPC); err == nil || !strings.Contains(err.Error(), "did not prove") {
		t.Fatalf("a listener with another token passed: %v", err)
	}
}

// ProveServer checks the identity the listener proves, so a relay to a
// real server cannot lend that server's proof to another claimed identity.
func TestProveServer_ChecksTheClaimedIdentity(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	srv := NewHandshake("tok", ServerIdentity{ID: "real-id", Addr: addr})
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				var first [1]byte
				if _, err := io.ReadFull(conn, first[:]); err == nil {
					_, _ = srv.Accept(conn)
				}
			}()
		}
	}()
	leader := NewHandshake("tok", ServerIdentity{ID: "leader", Addr: "l:1"})
	if err := leader.ProveServer(addr, ServerIdentity{ID: "real-id", Addr: addr}); err != nil {
		t.Fatalf("the real server failed its proof: %v", err)
	}
	err = leader.ProveServer(addr, ServerIdentity{ID: "rogue-id", Addr: addr})
	if err == nil || !strings.Contains(err.Error(), `not as the claimed "rogue-id"`) {
		t.Fatalf("a claimed identity that is not the prover's passed: %v", err)
	}
	stranger := NewHandshake("not-the-token", ServerIdentity{ID: "x", Addr: "x:1"})
	if err := stranger.ProveServer(addr, ServerIdentity{ID: "real-id", Addr: addr}); err == nil {
		t.Fatal("a dialer with a wrong token got a proof")
	}
}

func TestNewHandshake_EmptyTokenMeansNone(t *testing.T) {
	if NewHandshake("", ServerIdentity{ID: "x"}) != nil {
		t.Fatal("an empty token made a handshake")
	}
}

// The Raft layer with a handshake dials proven connections; the bytes that
// follow the handshake are Raft's.
func TestRaftLayer_DialProvesTheToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := NewHandshake("tok", ServerIdentity{ID: "b", Addr: ln.Addr().String()})
	layer := NewRaftLayer(ln.Addr(), NewHandshake("tok", ServerIdentity{ID: "a", Addr: "a:1"}))
	got := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- err
			return
		}
		defer conn.Close()
		var first [1]byte
		if _, err := io.ReadFull(conn, first[:]); err != nil || first[0] != ConnProven {
			got <- errors.New("the raft dial did not start a handshake")
			return
		}
		kind, err := srv.Accept(conn)
		if err == nil && kind != ConnRaft {
			err = errors.New("wrong kind")
		}
		if err == nil {
			buf := make([]byte, 4)
			_, err = io.ReadFull(conn, buf)
			if err == nil && string(buf) != "raft" {
				err = errors.New("raft bytes garbled: " + string(buf))
			}
		}
		got <- err
	}()
	out, err := layer.Dial(raft.ServerAddress(ln.Addr().String()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := out.Write([]byte("raft")); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

// Malformed handshakes end with an error as soon as the peer stops or
// lies, without waiting for the deadline and without allocating what a
// length field claims.
func TestHandshake_MalformedPeersFailFast(t *testing.T) {
	h := NewHandshake("tok", ServerIdentity{ID: "id", Addr: "a:1"})
	// Each case plays the listener: it reads the dialer's opening byte,
	// then writes what it is given and closes.
	listenerSends := map[string]func(nonce []byte) []byte{
		"no challenge":      func([]byte) []byte { return nil },
		"short challenge":   func([]byte) []byte { return make([]byte, nonceSize-1) },
		"no status":         func(n []byte) []byte { return n },
		"huge refusal":      func(n []byte) []byte { return append(append(n, statusDenied), 0xff, 0xff) },
		"huge identity":     func(n []byte) []byte { return append(append(n, statusOK), 0xff, 0xff) },
		"truncated id":      func(n []byte) []byte { return append(append(n, statusOK), 0, 10, 'x') },
		"truncated address": func(n []byte) []byte { return appendField(append(append(n, statusOK), 0, 1, 'x'), "") },
		"no proof":          func(n []byte) []byte { return appendField(appendField(append(n, statusOK), "id"), "a:1") },
	}
	for name, send := range listenerSends {
		t.Run("dial/"+name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			go func() {
				defer b.Close()
				var first [1]byte
				_, _ = io.ReadFull(b, first[:])
				out := send(make([]byte, nonceSize))
				if len(out) > nonceSize {
					// The dialer writes its proof after the challenge.
					_, _ = b.Write(out[:nonceSize])
					var proof [nonceSize + 1 + macSize]byte
					_, _ = io.ReadFull(b, proof[:])
					out = out[nonceSize:]
				}
				_, _ = b.Write(out)
			}()
			_, err := h.Dial(a, ConnRPC)
			if err == nil {
				t.Fatal("a malformed answer passed")
			}
			if strings.HasPrefix(name, "huge") && !strings.Contains(err.Error(), "too long") {
				t.Fatalf("a 64 KiB field was not refused by its length: %v", err)
			}
		})
	}
	// The listener's side: the dialer sends part of its proof and closes.
	for _, n := range []int{0, 1, nonceSize, nonceSize + 1 + macSize - 1} {
		a, b := net.Pipe()
		go func() {
			defer a.Close()
			_, _ = io.ReadFull(a, make([]byte, nonceSize))
			_, _ = a.Write(make([]byte, n))
		}()
		if _, err := h.Accept(b); err == nil {
			t.Fatalf("a proof of %d bytes was accepted", n)
		}
		b.Close()
	}
}
