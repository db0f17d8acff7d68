package transport

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Servers prove to each other that they hold the cluster's join token
// before they trust a connection as a server's. The proof is a
// challenge/response over HMAC-SHA256, so the token itself never crosses
// the wire, and both nonces are fresh, so an answer cannot be replayed.
//
// A connection that proves itself starts with ConnProven instead of its
// kind byte, then:
//
//	listener → dialer: nonceL (32 bytes)
//	dialer → listener: nonceD (32 bytes), kind (1 byte),
//	                   HMAC(token, "dialer", nonceL, nonceD, kind)
//	listener → dialer: status (1 byte); on success its raft ID and RPC
//	                   address (length-prefixed) and
//	                   HMAC(token, "listener", nonceL, nonceD, kind, ID, addr);
//	                   on failure a length-prefixed reason.
//
// The dialer proves first, so a listener never answers a challenge for
// someone without the token: nobody can use a server as an oracle. The
// listener's answer names its own identity, which the leader checks
// against what a gossip member claims before making it a Raft voter (a
// relay to a real server answers with that server's ID and address, not
// the claimed ones). The "dialer"/"listener" labels keep one side's answer
// from being reflected as the other's.
const (
	// ConnProven is the first byte of a connection whose dialer proves
	// the join token; the kind byte travels inside the handshake.
	ConnProven byte = 0x03
	// ConnProbe is the kind of a connection opened only to check a
	// server's identity: the listener closes it after the handshake.
	ConnProbe byte = 0x00
)

// HandshakeTimeout bounds the whole exchange.
const HandshakeTimeout = 10 * time.Second

const (
	nonceSize = 32
	macSize   = sha256.Size
	// maxIdentityField bounds the ID, address and reason fields.
	maxIdentityField = 1024

	statusOK     byte = 0
	statusDenied byte = 1

	labelDialer   = "appmesh/join-token/dialer/v1"
	labelListener = "appmesh/join-token/listener/v1"
)

// ErrNoJoinToken is what a listener without a token answers a proving
// dialer: the two servers are configured differently.
var ErrNoJoinToken = errors.New("the server has no join token configured")

// ServerIdentity is what a listening server proves about itself.
type ServerIdentity struct {
	ID   string // Raft server ID
	Addr string // advertised RPC address
}

// Handshake proves and checks the join token on connections between
// servers. The zero value is unusable; build one with NewHandshake.
type Handshake struct {
	token []byte
	self  ServerIdentity
}

// NewHandshake returns a handshake for a server holding token, answering
// as self when it listens. An empty token returns nil: no proof is made
// or asked for.
func NewHandshake(token string, self ServerIdentity) *Handshake {
	if token == "" {
		return nil
	}
	return &Handshake{token: []byte(token), self: self}
}

// Dial runs the dialer's side on a fresh connection: it announces
// ConnProven, proves the token for a connection of the given kind and
// checks the listener's proof. It returns the listener's identity. The
// connection's deadline is cleared on success.
func (h *Handshake) Dial(conn net.Conn, kind byte) (ServerIdentity, error) {
	_ = conn.SetDeadline(time.Now().Add(HandshakeTimeout))
	defer conn.SetDeadline(time.Time{})
	if _, err := conn.Write([]byte{ConnProven}); err != nil {
		return ServerIdentity{}, fmt.Errorf("start join-token handshake: %w", err)
	}
	var nonceL [nonceSize]byte
	if _, err := io.ReadFull(conn, nonceL[:]); err != nil {
		return ServerIdentity{}, fmt.Errorf("read join-token challenge: %w", err)
	}
	nonceD, err := newNonce()
	if err != nil {
		return ServerIdentity{}, err
	}
	msg := make([]byte, 0, nonceSize+1+macSize)
	msg = append(msg, nonceD[:]...)
	msg = append(msg, kind)
	msg = append(msg, h.mac(labelDialer, nonceL[:], nonceD[:], []byte{kind})...)
	if _, err := conn.Write(msg); err != nil {
		return ServerIdentity{}, fmt.Errorf("send join-token proof: %w", err)
	}
	var status [1]byte
	if _, err := io.ReadFull(conn, status[:]); err != nil {
		return ServerIdentity{}, fmt.Errorf("read join-token answer: %w", err)
	}
	if status[0] != statusOK {
		reason, err := readField(conn)
		if err != nil {
			return ServerIdentity{}, fmt.Errorf("join-token proof refused: %w", err)
		}
		return ServerIdentity{}, fmt.Errorf("join-token proof refused: %s", reason)
	}
	id, err := readField(conn)
	if err != nil {
		return ServerIdentity{}, fmt.Errorf("read server identity: %w", err)
	}
	addr, err := readField(conn)
	if err != nil {
		return ServerIdentity{}, fmt.Errorf("read server identity: %w", err)
	}
	var got [macSize]byte
	if _, err := io.ReadFull(conn, got[:]); err != nil {
		return ServerIdentity{}, fmt.Errorf("read server proof: %w", err)
	}
	want := h.mac(labelListener, nonceL[:], nonceD[:], []byte{kind}, []byte(id), []byte(addr))
	if !hmac.Equal(got[:], want) {
		return ServerIdentity{}, errors.New("the server did not prove the join token: it holds another token, or is not a server of this cluster")
	}
	return ServerIdentity{ID: id, Addr: addr}, nil
}

// Accept runs the listener's side after the ConnProven byte was read: it
// checks the dialer's proof and proves itself back. It returns the kind
// of connection the dialer asked for. On error the dialer was told why
// (as far as the connection allows) and the caller should close it.
func (h *Handshake) Accept(conn net.Conn) (byte, error) {
	_ = conn.SetDeadline(time.Now().Add(HandshakeTimeout))
	defer conn.SetDeadline(time.Time{})
	nonceL, err := newNonce()
	if err != nil {
		return 0, err
	}
	if _, err := conn.Write(nonceL[:]); err != nil {
		return 0, fmt.Errorf("send join-token challenge: %w", err)
	}
	var msg [nonceSize + 1 + macSize]byte
	if _, err := io.ReadFull(conn, msg[:]); err != nil {
		return 0, fmt.Errorf("read join-token proof: %w", err)
	}
	nonceD, kind, got := msg[:nonceSize], msg[nonceSize], msg[nonceSize+1:]
	if !hmac.Equal(got, h.mac(labelDialer, nonceL[:], nonceD, []byte{kind})) {
		refuse(conn, "wrong join token")
		return 0, errors.New("the dialer did not prove the join token")
	}
	out := []byte{statusOK}
	out = appendField(out, h.self.ID)
	out = appendField(out, h.self.Addr)
	out = append(out, h.mac(labelListener, nonceL[:], nonceD, []byte{kind}, []byte(h.self.ID), []byte(h.self.Addr))...)
	if _, err := conn.Write(out); err != nil {
		return 0, fmt.Errorf("send server proof: %w", err)
	}
	return kind, nil
}

// RefuseHandshake answers a proving dialer when this server has no join
// token: the configurations differ, and the dialer learns it plainly.
func RefuseHandshake(conn net.Conn) {
	_ = conn.SetDeadline(time.Now().Add(HandshakeTimeout))
	var nonceL [nonceSize]byte // never checked: the answer is a refusal
	if _, err := conn.Write(nonceL[:]); err != nil {
		return
	}
	var msg [nonceSize + 1 + macSize]byte
	if _, err := io.ReadFull(conn, msg[:]); err != nil {
		return
	}
	refuse(conn, ErrNoJoinToken.Error())
}

// ProveServer dials addr and checks that a server holding the join token
// answers there as want (same Raft ID and RPC address). The leader runs it
// before it makes a gossip member a Raft voter.
func (h *Handshake) ProveServer(addr string, want ServerIdentity) error {
	conn, err := net.DialTimeout("tcp", addr, DialTimeout)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	got, err := h.Dial(conn, ConnProbe)
	if err != nil {
		return fmt.Errorf("server at %s: %w", addr, err)
	}
	if got != want {
		return fmt.Errorf("server at %s proved the token as %q (%s), not as the claimed %q (%s)", addr, got.ID, got.Addr, want.ID, want.Addr)
	}
	return nil
}

// mac is HMAC-SHA256 over the label and length-prefixed parts, so that no
// two different part lists give the same input.
func (h *Handshake) mac(label string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, h.token)
	m.Write([]byte(label))
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write(p)
	}
	return m.Sum(nil)
}

func refuse(conn net.Conn, reason string) {
	_, _ = conn.Write(appendField([]byte{statusDenied}, reason))
}

func newNonce() ([nonceSize]byte, error) {
	var n [nonceSize]byte
	if _, err := rand.Read(n[:]); err != nil {
		return n, fmt.Errorf("make nonce: %w", err)
	}
	return n, nil
}

func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func readField(r io.Reader) (string, error) {
	var n [2]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return "", err
	}
	size := binary.BigEndian.Uint16(n[:])
	if size > maxIdentityField {
		return "", fmt.Errorf("field of %d bytes is too long", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}
