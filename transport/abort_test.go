package transport

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
)

// A Read blocked on a yamux stream whose peer never answers (a blocking
// query) must return when the caller's context ends. A plain Close only
// half-closes the stream, so before CloseOnDone a client agent's shutdown
// waited out its five-minute allocation watch.
func TestCloseOnDoneWakesBlockedRead(t *testing.T) {
	c1, c2 := net.Pipe()
	client, err := yamux.Client(c1, YamuxConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := yamux.Server(c2, YamuxConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	// The peer holds the stream open and neither reads nor answers, as a
	// server does while a blocking query waits for a change.
	held := make(chan struct{})
	defer close(held)
	go func() {
		st, err := server.AcceptStream()
		if err != nil {
			return
		}
		defer st.Close()
		<-held
	}()

	st, err := client.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write([]byte{StreamRPC}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop := CloseOnDone(ctx, st)
	defer stop()
	done := make(chan error, 1)
	go func() {
		var b [1]byte
		_, err := st.Read(b[:])
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("read returned data after the context ended")
		}
	case <-time.After(time.Minute):
		t.Fatal("a read blocked on the stream did not return after the context ended")
	}
}
