package bridgenet

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// udpEcho answers every datagram with "echo:" and the datagram.
func udpEcho(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, peer, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteToUDP(append([]byte("echo:"), buf[:n]...), peer)
		}
	}()
	return c
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// roundTrip sends msg from c and waits for the answer.
func roundTrip(t *testing.T, c *net.UDPConn, msg string) string {
	t.Helper()
	// UDP may drop; a few tries with a generous wait each.
	buf := make([]byte, 2048)
	for try := 0; try < 5; try++ {
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := c.Read(buf)
		if err == nil {
			return string(buf[:n])
		}
	}
	t.Fatalf("no answer to %q through the forwarder", msg)
	return ""
}

// Two peers get their own answers through one forwarder, each on its own
// session; closing the forwarder closes the sessions and the port.
func TestUDPForwarder(t *testing.T) {
	echo := udpEcho(t)
	port := freeUDPPort(t)
	f, err := startUDPForwarder("127.0.0.1", port, echo.LocalAddr().String(), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	peers := make([]*net.UDPConn, 2)
	for i := range peers {
		c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		peers[i] = c
	}
	for round := 0; round < 3; round++ {
		for i, c := range peers {
			msg := fmt.Sprintf("peer%d-round%d", i, round)
			if got := roundTrip(t, c, msg); got != "echo:"+msg {
				t.Fatalf("peer %d got %q, want %q", i, got, "echo:"+msg)
			}
		}
	}
	if n := f.sessionCount(); n != 2 {
		t.Fatalf("sessions = %d, want one per peer (2)", n)
	}
	f.close()
	if n := f.sessionCount(); n != 0 {
		t.Fatalf("sessions after close = %d, want 0", n)
	}
	// The port is free again.
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatalf("host port still held after close: %v", err)
	}
	c.Close()
}

// Datagrams before the allocation listens are lost, not fatal: the session
// survives the ICMP refusal and the next datagram gets through.
func TestUDPForwarderTargetLate(t *testing.T) {
	target := freeUDPPort(t)
	port := freeUDPPort(t)
	f, err := startUDPForwarder("127.0.0.1", port, fmt.Sprintf("127.0.0.1:%d", target), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("early")); err != nil {
		t.Fatal(err)
	}
	// Wait until the forwarder has a session for the early datagram.
	deadline := time.Now().Add(10 * time.Second)
	for f.sessionCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	late, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: target})
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, peer, err := late.ReadFromUDP(buf)
			if err != nil {
				return
			}
			_, _ = late.WriteToUDP(append([]byte("late:"), buf[:n]...), peer)
		}
	}()
	if got := roundTrip(t, c, "again"); got != "late:again" {
		t.Fatalf("got %q after the target started, want late:again", got)
	}
}
