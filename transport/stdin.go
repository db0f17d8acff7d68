package transport

import (
	"context"
	"fmt"
	"io"
	"net"
)

// StreamStdin (server → client) carries a task's standard input: the
// server writes the kind byte and a LogsRequest (Type LogTypeStdin), the
// client answers with a stream status once it starts reading, then the
// server sends the raw input and closes its side at the end of it.
const StreamStdin byte = 's'

// LogTypeStdin marks a LogsRequest that carries standard input.
const LogTypeStdin = "stdin"

// ServeStdin answers a StreamStdin stream on the client: fn gets the
// request and a reader of the input. The "ok" status is sent on fn's first
// read, so an error fn returns before reading reaches the server as such.
func ServeStdin(st net.Conn, fn func(req *LogsRequest, r io.Reader) error) error {
	req, err := ReadLogsRequest(st)
	if err != nil {
		return err
	}
	return ServeStdinRequest(st, req, fn)
}

// ServeStdinRequest is ServeStdin for a request already read from st.
func ServeStdinRequest(st net.Conn, req *LogsRequest, fn func(req *LogsRequest, r io.Reader) error) error {
	sr := &statusReader{r: st, w: st}
	var err error
	err = fn(req, sr)
	if !sr.started {
		return WriteStreamStatus(st, err)
	}
	return err
}

// statusReader writes the "ok" status before its first read.
type statusReader struct {
	r       io.Reader
	w       io.Writer
	started bool
}

func (s *statusReader) Read(p []byte) (int, error) {
	if !s.started {
		s.started = true
		if err := WriteStreamStatus(s.w, nil); err != nil {
			return 0, err
		}
	}
	return s.r.Read(p)
}

// SendStdin writes req on st (a stream whose kind byte was sent), waits
// for the far end's status and copies r into st. It returns when r ends,
// when the far end stops reading (closes its side) or when ctx is done.
func SendStdin(ctx context.Context, st net.Conn, req *LogsRequest, r io.Reader) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := CloseOnDone(ctx, st)
	defer stop()
	if err := WriteLogsRequest(st, req); err != nil {
		return err
	}
	rest, err := ReadStreamStatus(st)
	if err != nil {
		return err
	}
	// The far end sends nothing more: its side ends when it stopped
	// writing into the task, and then there is no point in reading r on.
	go func() {
		var b [1]byte
		_, _ = rest.Read(b[:])
		cancel()
	}()
	if _, err := io.Copy(st, r); err != nil && ctx.Err() == nil {
		return fmt.Errorf("send stdin: %w", err)
	}
	return nil
}
