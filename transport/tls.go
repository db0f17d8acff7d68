package transport

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"
)

// TLSDialer runs the dialer's side of mutual TLS on a fresh connection and
// returns the encrypted one (tlsutil.Store.Client). With TLS on, the TLS
// handshake is the first thing on the wire: a plaintext peer never gets
// to send a kind byte.
type TLSDialer func(ctx context.Context, conn net.Conn) (net.Conn, error)

// upgrade runs d on conn, closing conn on failure; a nil d leaves conn as
// it is.
func upgrade(ctx context.Context, d TLSDialer, conn net.Conn) (net.Conn, error) {
	if d == nil {
		return conn, nil
	}
	tc, err := d(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// With TLS, a server's certificate proves the role, and a probe (ConnProbe)
// only asks for the identity behind it: the listener answers its Raft ID
// and advertised RPC address, which the leader compares with what a
// gossip member claims (a relay to another real server answers with that
// server's identity).

// AnswerProbe writes self on a probe connection whose peer proved a
// server certificate.
func AnswerProbe(conn net.Conn, self ServerIdentity) error {
	_ = conn.SetWriteDeadline(time.Now().Add(HandshakeTimeout))
	_, err := conn.Write(appendField(appendField(nil, self.ID), self.Addr))
	return err
}

// ReadProbeAnswer reads the identity AnswerProbe wrote.
func ReadProbeAnswer(conn net.Conn) (ServerIdentity, error) {
	_ = conn.SetReadDeadline(time.Now().Add(HandshakeTimeout))
	defer conn.SetReadDeadline(time.Time{})
	id, err := readField(conn)
	if err != nil {
		return ServerIdentity{}, fmt.Errorf("read server identity: %w", notEOF(err))
	}
	addr, err := readField(conn)
	if err != nil {
		return ServerIdentity{}, fmt.Errorf("read server identity: %w", notEOF(err))
	}
	return ServerIdentity{ID: id, Addr: addr}, nil
}

// notEOF explains the usual reason a listener hangs up on a probe.
func notEOF(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("the listener closed the connection (it does not take this connection for a server's: %w)", err)
	}
	return err
}
