package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// fakeNode answers an exec stream like a client: the status, then it
// echoes what it gets, upper-cased, until the stream ends.
func fakeNode(t *testing.T, st net.Conn, refuse error) {
	defer st.Close()
	req, err := ReadExecRequest(st)
	if err != nil || req.AllocID != "a1" || strings.Join(req.Cmd, " ") != "/bin/sh -l" || !req.Tty || req.Height != 40 {
		t.Errorf("request %+v, %v", req, err)
		return
	}
	if err := WriteStreamStatus(st, refuse); err != nil || refuse != nil {
		return
	}
	// Sent right after the status: the reader of the status may buffer it.
	_, _ = st.Write([]byte("HELLO:"))
	buf := make([]byte, 64)
	for {
		n, err := st.Read(buf)
		if n > 0 {
			_, _ = st.Write([]byte(strings.ToUpper(string(buf[:n]))))
		}
		if err != nil {
			return
		}
	}
}

// A relay (Splice) between the opener and the node passes the session's
// bytes both ways, including those read with the status; closing the
// opener's end ends the node's.
func TestExecStreamRelay(t *testing.T) {
	req := &ExecRequest{AllocID: "a1", Cmd: []string{"/bin/sh", "-l"}, Tty: true, Height: 40, Width: 100}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	nodeSide, relayDown := net.Pipe()
	go fakeNode(t, nodeSide, nil)
	userSide, relayUp := net.Pipe()
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		got, err := ReadExecRequest(relayUp)
		if err != nil {
			t.Error(err)
			return
		}
		down, err := StartExec(ctx, relayDown, got)
		if err := WriteStreamStatus(relayUp, err); err != nil {
			t.Error(err)
			return
		}
		Splice(relayUp, down)
	}()

	conn, err := StartExec(ctx, userSide, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 9)
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != "HELLO:ABC" {
		t.Fatalf("read %q, %v", buf, err)
	}
	conn.Close()
	select {
	case <-relayDone:
	case <-time.After(30 * time.Second):
		t.Fatal("the relay outlived the user's end of the session")
	}

	// A refusal arrives as the status, with its meaning.
	a, b := net.Pipe()
	go fakeNode(t, b, errors.New(`allocation "a1": not found`))
	if _, err := StartExec(ctx, a, req); !structs.IsNotFound(err) {
		t.Fatalf("refused start: %v, want not found", err)
	}
}
