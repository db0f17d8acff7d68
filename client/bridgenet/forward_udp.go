package bridgenet

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// UDP sessions: a datagram from a new peer opens a session (a socket to
// the allocation), the allocation's answers on it go back to that peer,
// and a session idle this long is closed. The session count is bounded so
// that a flood of spoofed sources cannot open unbounded sockets.
const (
	udpSessionIdle = 60 * time.Second
	udpMaxSessions = 1024
	udpMaxDatagram = 64 << 10
)

// udpForwarder maps a host UDP port to the allocation's address, one
// session per peer. Like the TCP forwarder it is userspace: the task sees
// datagrams from the bridge's address.
type udpForwarder struct {
	ln     *net.UDPConn
	target *net.UDPAddr
	logger hclog.Logger

	mu       sync.Mutex
	sessions map[netip.AddrPort]*udpSession
	closed   bool
	wg       sync.WaitGroup
}

type udpSession struct {
	peer *net.UDPAddr
	up   *net.UDPConn
}

// startUDPForwarder listens on hostIP:hostPort (UDP) and forwards to target.
func startUDPForwarder(hostIP string, hostPort int, target string, logger hclog.Logger) (*udpForwarder, error) {
	laddr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(hostIP, strconv.Itoa(hostPort)))
	if err != nil {
		return nil, err
	}
	taddr, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, err
	}
	f := &udpForwarder{ln: ln, target: taddr, logger: logger, sessions: map[netip.AddrPort]*udpSession{}}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

// serve reads datagrams from peers and sends each on its peer's session.
func (f *udpForwarder) serve() {
	defer f.wg.Done()
	buf := make([]byte, udpMaxDatagram)
	for {
		n, peer, err := f.ln.ReadFromUDPAddrPort(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				f.logger.Warn("UDP port forwarder stopped reading", "listen", f.ln.LocalAddr().String(), "error", err)
			}
			return
		}
		s := f.session(peer)
		if s == nil {
			continue // at the session limit, or closing: dropped as the network would
		}
		_ = s.up.SetReadDeadline(time.Now().Add(udpSessionIdle))
		if _, err := s.up.Write(buf[:n]); err != nil {
			f.logger.Debug("UDP port forwarder cannot reach the allocation", "target", f.target.String(), "error", err)
		}
	}
}

// session finds or opens the peer's session; nil when none can be opened.
func (f *udpForwarder) session(peer netip.AddrPort) *udpSession {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	if s, ok := f.sessions[peer]; ok {
		return s
	}
	if len(f.sessions) >= udpMaxSessions {
		f.logger.Debug("UDP port forwarder at its session limit; datagram dropped", "peer", peer.String())
		return nil
	}
	up, err := net.DialUDP("udp", nil, f.target)
	if err != nil {
		f.logger.Debug("UDP port forwarder cannot reach the allocation", "target", f.target.String(), "error", err)
		return nil
	}
	s := &udpSession{peer: net.UDPAddrFromAddrPort(peer), up: up}
	f.sessions[peer] = s
	f.wg.Add(1)
	go f.replies(peer, s)
	return s
}

// replies copies the allocation's answers back to the peer until the
// session is idle for udpSessionIdle or the forwarder closes.
func (f *udpForwarder) replies(key netip.AddrPort, s *udpSession) {
	defer f.wg.Done()
	defer func() {
		f.mu.Lock()
		if f.sessions[key] == s {
			delete(f.sessions, key)
		}
		f.mu.Unlock()
		s.up.Close()
	}()
	buf := make([]byte, udpMaxDatagram)
	_ = s.up.SetReadDeadline(time.Now().Add(udpSessionIdle))
	for {
		n, err := s.up.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return // idle both ways (the serve loop pushes the deadline on)
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				// An ICMP port unreachable: nothing listens in the
				// allocation yet; keep the session for the next datagram.
				continue
			}
			return
		}
		_ = s.up.SetReadDeadline(time.Now().Add(udpSessionIdle))
		if _, err := f.ln.WriteToUDP(buf[:n], s.peer); err != nil && errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// sessionCount is the number of open sessions (for tests).
func (f *udpForwarder) sessionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

// close stops listening, closes every session and waits for them.
func (f *udpForwarder) close() {
	f.mu.Lock()
	f.closed = true
	for _, s := range f.sessions {
		s.up.Close()
	}
	f.mu.Unlock()
	f.ln.Close()
	f.wg.Wait()
}
