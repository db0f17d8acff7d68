package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// RaftLayer is a raft.StreamLayer over the shared RPC port: inbound Raft
// connections are handed to it by the port's accept loop, and outbound ones
// announce themselves with ConnRaft.
type RaftLayer struct {
	addr net.Addr
	// handshake, when set, proves the join token on every dial.
	handshake *Handshake
	// TLS, when set, runs mutual TLS on every dial (tls.go).
	TLS TLSDialer

	connCh  chan net.Conn
	closeCh chan struct{}
	once    sync.Once
}

var _ raft.StreamLayer = (*RaftLayer)(nil)

// NewRaftLayer returns a layer advertising addr. With a handshake (the
// server has a join token) every outbound connection proves the token, and
// the accept loop must hand off only connections that proved it.
func NewRaftLayer(addr net.Addr, h *Handshake) *RaftLayer {
	return &RaftLayer{addr: addr, handshake: h, connCh: make(chan net.Conn), closeCh: make(chan struct{})}
}

// Handoff gives an inbound Raft connection to Raft.
func (l *RaftLayer) Handoff(c net.Conn) error {
	select {
	case l.connCh <- c:
		return nil
	case <-l.closeCh:
		return errors.New("raft layer closed")
	}
}

// Accept returns the next inbound Raft connection.
func (l *RaftLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.connCh:
		return c, nil
	case <-l.closeCh:
		return nil, errors.New("raft layer closed")
	}
}

// Close stops Accept.
func (l *RaftLayer) Close() error {
	l.once.Do(func() { close(l.closeCh) })
	return nil
}

// Addr is the advertised address.
func (l *RaftLayer) Addr() net.Addr { return l.addr }

// Dial opens a Raft connection to another server.
func (l *RaftLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", string(address), timeout)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	conn, err = upgrade(ctx, l.TLS, conn)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("raft connection to %s: %w", address, err)
	}
	if l.handshake != nil {
		if _, err := l.handshake.Dial(conn, ConnRaft); err != nil {
			conn.Close()
			return nil, fmt.Errorf("raft connection to %s: %w", address, err)
		}
		return conn, nil
	}
	if _, err := conn.Write([]byte{ConnRaft}); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}
