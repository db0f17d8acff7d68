package main

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// startForward runs a forwarder to `to` on a loopback port for the test
// and returns its address.
func startForward(t *testing.T, to string, splice bool) string {
	return startLoop(t, func(ctx context.Context, ln net.Listener) error { return forward(ctx, ln, to, splice) })
}

// Two forwarders in a row (the floor leg) carry request/response and bulk
// loads to the echo server with every byte accounted for, in both copy
// modes.
func TestForwardPairCarriesTheLoad(t *testing.T) {
	svc := startServer(t, 0)
	for _, splice := range []bool{false, true} {
		first := startForward(t, startForward(t, svc, splice), splice)
		o := loadOptions{addr: first, label: "forward", req: 100, resp: 3000, chunk: 8192,
			duration: 300 * time.Millisecond, warmup: 50 * time.Millisecond}
		r, err := runRR(context.Background(), o, 4)
		if err != nil {
			t.Fatalf("splice %v: rr ×4 through two forwarders: %v", splice, err)
		}
		if r.Errors != 0 || r.Requests == 0 || r.Bytes != r.Requests*3100 {
			t.Fatalf("splice %v: rr ×4 through two forwarders: %+v", splice, r)
		}
		b, err := runBulk(context.Background(), o, 2)
		if err != nil || b.Errors != 0 || b.Bytes < 8192 {
			t.Fatalf("splice %v: bulk through two forwarders: %+v, %v", splice, b, err)
		}
	}
}

// A half-close passes through: the far side sees EOF, and its answer
// still comes back.
func TestForwardPassesHalfClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			got, _ := io.ReadAll(c) // until the client's CloseWrite
			c.Write(append([]byte("got "), got...))
			c.Close()
		}
	}()
	for _, splice := range []bool{false, true} {
		c, err := net.Dial("tcp", startForward(t, ln.Addr().String(), splice))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		c.Write([]byte("hello"))
		c.(*net.TCPConn).CloseWrite()
		answer, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(answer) != "got hello" {
			t.Fatalf("splice %v: answer after half-close: %q, %v", splice, answer, err)
		}
	}
}

func TestForwardBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-listen", "127.0.0.1:0"},
		{"-to", "127.0.0.1:1", "-copy", "sendfile"},
	} {
		if _, ok := cmdForward(context.Background(), args).(usageError); !ok {
			t.Errorf("forward %v: want a usage error", args)
		}
	}
}

// Stopping a forwarder closes the connections it relays and waits for
// their goroutines.
func TestForwardStopClosesOpenConnections(t *testing.T) {
	svc := startServer(t, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- forward(ctx, ln, svc, false) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := firstExchange(c, hello{Mode: modeRR, ReqSize: 10, RespSize: 10}, make([]byte, 10), make([]byte, 10)); err != nil {
		t.Fatalf("exchange through the forwarder: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("forward: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("forward did not return a minute after its context ended")
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a connection the stopped forwarder should have closed", n)
	}
}
