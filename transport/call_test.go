package transport

import (
	"fmt"
	"net"
	"net/rpc"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

type CallEcho struct{}

type CallEchoArgs struct{ Text string }
type CallEchoReply struct{ Text string }

func (CallEcho) Say(args *CallEchoArgs, reply *CallEchoReply) error {
	if args.Text == "fail" {
		return fmt.Errorf("told to fail")
	}
	reply.Text = strings.ToUpper(args.Text)
	return nil
}

// countingConn counts the writes that reach the wire.
type countingConn struct {
	net.Conn
	writes atomic.Int32
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func serveEcho(t *testing.T) func() *countingConn {
	t.Helper()
	srv := rpc.NewServer()
	if err := srv.RegisterName("Echo", CallEcho{}); err != nil {
		t.Fatal(err)
	}
	return func() *countingConn {
		client, server := net.Pipe()
		go ServeStream(srv, server)
		return &countingConn{Conn: client}
	}
}

func TestCallOnStream_OneWritePerRequestAndErrors(t *testing.T) {
	dial := serveEcho(t)
	conn := dial()
	defer conn.Close()
	var reply CallEchoReply
	if err := callOnStream(conn, "Echo.Say", &CallEchoArgs{Text: "hello"}, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Text != "HELLO" {
		t.Fatalf("reply %q", reply.Text)
	}
	if n := conn.writes.Load(); n != 1 {
		t.Fatalf("the request took %d writes, want 1 (header and body buffered together)", n)
	}

	conn2 := dial()
	defer conn2.Close()
	err := callOnStream(conn2, "Echo.Say", &CallEchoArgs{Text: "fail"}, &reply)
	if _, ok := err.(rpc.ServerError); !ok || !strings.Contains(err.Error(), "told to fail") {
		t.Fatalf("server error = %v (%T)", err, err)
	}
}

// TestCallOnStream_PooledBuffersDoNotMix runs many calls at once with large
// bodies, so that pooled buffers are reused while others are in use; any
// sharing would corrupt a reply.
func TestCallOnStream_PooledBuffersDoNotMix(t *testing.T) {
	dial := serveEcho(t)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn := dial()
			defer conn.Close()
			text := strings.Repeat(fmt.Sprintf("call-%03d;", i), 1000) // larger than one buffer
			var reply CallEchoReply
			if err := callOnStream(conn, "Echo.Say", &CallEchoArgs{Text: text}, &reply); err != nil {
				errs <- err
				return
			}
			if reply.Text != strings.ToUpper(text) {
				errs <- fmt.Errorf("call %d got another call's reply", i)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
