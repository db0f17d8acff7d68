package transport

import (
	"context"
	"net"
	"time"
)

// CloseOnDone ends st when ctx ends and returns the function that stops
// watching ctx. Closing a yamux stream only half-closes it: a Read blocked
// on the stream (a blocking query waiting minutes for its answer) goes on
// waiting for the peer. Moving the deadline to now wakes that Read at once,
// and the Close that follows tells the peer.
func CloseOnDone(ctx context.Context, st net.Conn) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		_ = st.SetDeadline(time.Now())
		_ = st.Close()
	})
}
