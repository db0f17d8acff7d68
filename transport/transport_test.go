package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/rpc"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/hashicorp/yamux"
)

// Echo is a test endpoint.
type Echo struct{}

type EchoArgs struct {
	Text   string         `json:"text"`
	Config map[string]any `json:"config"`
}

func (Echo) Say(args *EchoArgs, reply *EchoArgs) error {
	if args.Text == "fail" {
		return errors.New("job \"x\": not found")
	}
	*reply = *args
	return nil
}

// testServer accepts RPC sessions the way a server does and records the
// sessions so the test can open streams back to the dialer.
func testServer(t *testing.T) (addr string, sessions chan *yamux.Session) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	srv := rpc.NewServer()
	if err := srv.Register(Echo{}); err != nil {
		t.Fatal(err)
	}
	sessions = make(chan *yamux.Session, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			var kind [1]byte
			if _, err := io.ReadFull(conn, kind[:]); err != nil || kind[0] != ConnRPC {
				conn.Close()
				continue
			}
			sess, err := yamux.Server(conn, YamuxConfig())
			if err != nil {
				continue
			}
			sessions <- sess
			go AcceptStreams(sess, func(k byte, st net.Conn) {
				if k == StreamRPC {
					ServeStream(srv, st)
				}
			}, hclog.NewNullLogger())
		}
	}()
	return ln.Addr().String(), sessions
}

func TestPool_RPCRoundTripKeepsFreeFormMaps(t *testing.T) {
	addr, _ := testServer(t)
	p := NewPool(hclog.NewNullLogger())
	defer p.Close()
	args := &EchoArgs{Text: "hi", Config: map[string]any{"args": []any{"-c", "x"}, "n": map[string]any{"k": "v"}}}
	var reply EchoArgs
	if err := p.RPC(context.Background(), addr, "Echo.Say", args, &reply); err != nil {
		t.Fatal(err)
	}
	if reply.Text != "hi" {
		t.Fatalf("reply %+v", reply)
	}
	nested, ok := reply.Config["n"].(map[string]any)
	if !ok || nested["k"] != "v" {
		t.Fatalf("nested map came back as %#v", reply.Config["n"])
	}
	list, ok := reply.Config["args"].([]any)
	if !ok || len(list) != 2 || list[0] != "-c" {
		t.Fatalf("list came back as %#v", reply.Config["args"])
	}
}

func TestPool_EndpointErrorsAreServerErrors(t *testing.T) {
	addr, _ := testServer(t)
	p := NewPool(hclog.NewNullLogger())
	defer p.Close()
	var reply EchoArgs
	err := p.RPC(context.Background(), addr, "Echo.Say", &EchoArgs{Text: "fail"}, &reply)
	if !IsServerError(err) || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("want the endpoint's error as a server error, got %v", err)
	}
	err = p.RPC(context.Background(), "127.0.0.1:1", "Echo.Say", &EchoArgs{}, &reply)
	if err == nil || IsServerError(err) {
		t.Fatalf("want a network error for a closed port, got %v", err)
	}
}

func TestPool_ServerOpensStreamsBackOverTheClientSession(t *testing.T) {
	addr, sessions := testServer(t)
	p := NewPool(hclog.NewNullLogger())
	defer p.Close()
	got := make(chan string, 1)
	p.Handler = func(kind byte, st net.Conn) {
		defer st.Close()
		req, err := ReadLogsRequest(st)
		if err != nil || kind != StreamLogs {
			got <- "bad request"
			return
		}
		_ = WriteStreamStatus(st, nil)
		_, _ = io.WriteString(st, "output of "+req.AllocID)
	}
	var reply EchoArgs
	if err := p.RPC(context.Background(), addr, "Echo.Say", &EchoArgs{Text: "x"}, &reply); err != nil {
		t.Fatal(err)
	}
	sess := <-sessions
	st, err := sess.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, _ = st.Write([]byte{StreamLogs})
	if err := WriteLogsRequest(st, &LogsRequest{AllocID: "a1", Task: "t"}); err != nil {
		t.Fatal(err)
	}
	r, err := ReadStreamStatus(st)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.SetReadDeadline(time.Now().Add(5 * time.Second))
	out, _ := io.ReadAll(r)
	if string(out) != "output of a1" {
		t.Fatalf("reverse stream carried %q", out)
	}
}

func TestStreamStatusCarriesNotFound(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteStreamStatus(&buf, errors.New(`allocation "x": not found`)); err != nil {
		t.Fatal(err)
	}
	_, err := ReadStreamStatus(&buf)
	if !structs.IsNotFound(err) || !strings.Contains(err.Error(), `allocation "x"`) {
		t.Fatalf("want a not-found error naming the allocation, got %v", err)
	}
}

func TestClientCallRoundTrip(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	done := make(chan error, 1)
	go func() {
		done <- ServeClientCall(b, func(op string, body []byte) ([]byte, error) {
			if op != "alloc.exec" {
				return nil, errors.New("unknown op")
			}
			return append([]byte("ran "), body...), nil
		})
	}()
	body, err := DoClientCall(a, &structs.ClientCallRequest{NodeID: "n", Op: "alloc.exec", Body: []byte("ls")})
	if err != nil || string(body) != "ran ls" {
		t.Fatalf("answer %q, %v", body, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRaftLayerHandsOffAndDials(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	layer := NewRaftLayer(ln.Addr(), nil)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		var kind [1]byte
		if _, err := io.ReadFull(conn, kind[:]); err == nil && kind[0] == ConnRaft {
			_ = layer.Handoff(conn)
		}
	}()
	out, err := layer.Dial(raft.ServerAddress(ln.Addr().String()), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	in, err := layer.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	_, _ = out.Write([]byte("raft"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(in, buf); err != nil || string(buf) != "raft" {
		t.Fatalf("read %q, %v", buf, err)
	}
	layer.Close()
	if _, err := layer.Accept(); err == nil {
		t.Fatal("accept after close succeeded")
	}
}
