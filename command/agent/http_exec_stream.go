package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/transport"
)

// ExecOpener is what the interactive exec endpoint needs from the backend.
// A Backend that does not implement it answers 501.
type ExecOpener interface {
	OpenExec(ctx context.Context, req *transport.ExecRequest) (net.Conn, error)
}

const (
	// execStartTimeout bounds reaching the node and starting the session.
	execStartTimeout = 30 * time.Second
	// execWriteTimeout bounds one message to a user who stopped reading.
	execWriteTimeout = 10 * time.Second
	// maxExecMessage bounds one message from the user (a stdin chunk).
	maxExecMessage = 1 << 20
)

var execUpgrader = websocket.Upgrader{
	ReadBufferSize:  32 << 10,
	WriteBufferSize: 32 << 10,
	// CheckOrigin is set per server (allocExecStream) to the HTTP guard's
	// origin rule: a web page of another origin must not open a shell in a
	// task through the user's browser.
}

// GET /v1/client/allocation/<id>/exec?task=&command=<json array>&tty=
// [&tty_height=&tty_width=] upgraded to a WebSocket: an interactive
// session whose messages are JSON drivers.ExecFrame values.
func (s *HTTPServer) allocExecStream(w http.ResponseWriter, r *http.Request) (any, error) {
	opener, ok := s.backend.(ExecOpener)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this agent does not support interactive exec"}
	}
	req, err := execStreamRequest(r)
	if err != nil {
		return nil, err
	}
	if !websocket.IsWebSocketUpgrade(r) {
		return nil, badRequest("GET %s is a WebSocket endpoint (interactive exec); POST a JSON body for a non-interactive exec", r.URL.Path)
	}
	// ACL: a later phase checks the token's alloc-exec capability on the
	// allocation's namespace here, before anything reaches the node.
	upgrader := execUpgrader
	upgrader.CheckOrigin = s.guard.originAllowed // the agent's own origin and http { allowed_origins }
	// A browser that offered subprotocols needs one back; never the token one.
	upgrader.Subprotocols = []string{execSubprotocol}
	ws, err := upgrader.Upgrade(hijackable{w}, r, nil)
	if err != nil {
		return nil, nil // the upgrader already answered
	}
	ws.SetReadLimit(maxExecMessage)
	sess := &wsExecSession{ws: ws}
	defer sess.close()
	ctx, cancel := context.WithTimeout(r.Context(), execStartTimeout)
	conn, err := opener.OpenExec(ctx, req)
	cancel()
	if err != nil {
		sess.fail(drivers.ExecErrorOf(withStatus(err)))
		return nil, nil
	}
	// Never logs the command's input or output, only that it ran.
	s.logger.Info("interactive exec session", "alloc_id", req.AllocID, "task", req.Task, "tty", req.Tty)
	fc := drivers.NewFrameConn(conn, nil)
	// The agent shutting down ends the session (and so the command).
	stop := context.AfterFunc(r.Context(), func() { fc.Close() })
	defer stop()
	sess.run(fc)
	return nil, nil
}

// withStatus marks errors whose HTTP status the agent knows so that the
// session's error frame carries it.
func withStatus(err error) error {
	var ee *drivers.ExecError
	if errors.As(err, &ee) {
		return err
	}
	code := statusFor(err)
	msg := err.Error()
	if code == http.StatusBadRequest {
		msg = strings.TrimPrefix(msg, "invalid: ")
	}
	return &drivers.ExecError{Code: code, Message: msg}
}

// execStreamRequest reads the query parameters; every mistake is a 400
// before the upgrade.
func execStreamRequest(r *http.Request) (*transport.ExecRequest, error) {
	q := r.URL.Query()
	req := &transport.ExecRequest{AllocID: r.PathValue("id"), Task: q.Get("task")}
	raw := q.Get("command")
	if raw == "" {
		return nil, badRequest(`missing command: use ?command=["/bin/sh","-l"] (a JSON list: the program and its arguments)`)
	}
	if err := json.Unmarshal([]byte(raw), &req.Cmd); err != nil {
		return nil, badRequest("invalid command %q: must be a JSON list of strings: %v", raw, err)
	}
	if len(req.Cmd) == 0 || req.Cmd[0] == "" {
		return nil, badRequest("missing command: the list must start with the program to run")
	}
	tty, err := boolParam(r, "tty")
	if err != nil {
		return nil, err
	}
	req.Tty = tty
	for name, dst := range map[string]*uint16{"tty_height": &req.Height, "tty_width": &req.Width} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseUint(v, 10, 16)
			if err != nil {
				return nil, badRequest("invalid %s %q: must be a number of character cells", name, v)
			}
			*dst = uint16(n)
		}
	}
	return req, nil
}

// hijackable exposes Hijack through the request-logging wrapper (which
// offers Unwrap for http.ResponseController, not Hijack itself).
type hijackable struct{ http.ResponseWriter }

func (h hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

// wsExecSession pumps frames between the user's WebSocket and the node.
type wsExecSession struct {
	ws  *websocket.Conn
	wmu sync.Mutex
	// protoErr is the user's protocol mistake that ended the session.
	mu       sync.Mutex
	protoErr *drivers.ExecError
}

func (s *wsExecSession) write(f *drivers.ExecFrame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.ws.SetWriteDeadline(time.Now().Add(execWriteTimeout))
	return s.ws.WriteMessage(websocket.TextMessage, b)
}

// fail sends the error as the last message and a close frame whose code
// is 4000 + the HTTP status (4404: not found), its text as the reason.
func (s *wsExecSession) fail(e *drivers.ExecError) {
	_ = s.write(&drivers.ExecFrame{Error: e})
	reason := e.Message
	if len(reason) > 120 { // a close frame's reason is at most 123 bytes
		// of valid UTF-8: a rune cut in two would fail the close frame
		reason = strings.ToValidUTF8(reason[:120], "")
	}
	s.closeWith(websocket.FormatCloseMessage(4000+e.Code, reason))
}

func (s *wsExecSession) closeWith(msg []byte) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(execWriteTimeout))
}

func (s *wsExecSession) close() { s.ws.Close() }

// execPingInterval is how often a session pings the user's side. A peer
// that answers nothing for two intervals is gone (a laptop closed, a
// half-open connection), and its command is killed instead of running on
// unseen. Pings also keep idle sessions alive through proxies.
var execPingInterval = 30 * time.Second

// run relays the session until the node's last frame, or until the user
// goes away (which closes the node's side and so kills the command).
func (s *wsExecSession) run(fc *drivers.FrameConn) {
	inDone := make(chan struct{})
	go func() {
		defer close(inDone)
		s.readUser(fc)
	}()
	pingDone := make(chan struct{})
	pingStopped := make(chan struct{})
	go func() {
		defer close(pingStopped)
		s.keepAlive(pingDone, execPingInterval)
	}()
	defer func() {
		close(pingDone)
		<-pingStopped
		fc.Close()
		s.ws.Close() // ends readUser
		<-inDone
	}()
	for {
		f, err := fc.Read()
		if pe := s.protocolError(); pe != nil {
			s.fail(pe)
			return
		}
		if err != nil {
			s.fail(drivers.ExecErrorOf(fmt.Errorf("the session ended without a result: %w", err)))
			return
		}
		if f.Error != nil {
			s.fail(f.Error)
			return
		}
		if err := s.write(f); err != nil {
			return // the user is gone
		}
		if f.Exited {
			s.closeWith(websocket.FormatCloseMessage(websocket.CloseNormalClosure, "exited"))
			return
		}
	}
}

// keepAlive pings the user's side until done. WriteControl may run
// beside the other writes.
func (s *wsExecSession) keepAlive(done <-chan struct{}, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if err := s.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(execWriteTimeout)); err != nil {
				return
			}
		}
	}
}

// readUser forwards the user's stdin and tty_size messages to the node.
// A malformed message ends the session with a clear error; so does two
// ping intervals without a word (a pong or a message) from the user.
func (s *wsExecSession) readUser(fc *drivers.FrameConn) {
	defer fc.Close()
	alive := func() error { return s.ws.SetReadDeadline(time.Now().Add(2 * execPingInterval)) }
	_ = alive()
	s.ws.SetPongHandler(func(string) error { return alive() })
	for {
		_, data, err := s.ws.ReadMessage()
		_ = alive()
		if err != nil {
			return
		}
		f, perr := parseUserFrame(data)
		if perr != nil {
			s.mu.Lock()
			s.protoErr = &drivers.ExecError{Code: http.StatusBadRequest, Message: perr.Error()}
			s.mu.Unlock()
			return
		}
		if err := fc.Write(f); err != nil {
			return
		}
	}
}

func (s *wsExecSession) protocolError() *drivers.ExecError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.protoErr
}

// parseUserFrame accepts only what a user may send: stdin data or close,
// and a terminal size.
func parseUserFrame(data []byte) (*drivers.ExecFrame, error) {
	var f drivers.ExecFrame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("malformed message %.80q: %v", data, err)
	}
	switch {
	case f.Stdout != nil || f.Stderr != nil || f.Exited || f.Result != nil || f.Error != nil:
		return nil, fmt.Errorf("malformed message %.80q: a client sends only stdin and tty_size", data)
	case f.Stdin == nil && f.TTYSize == nil:
		return nil, fmt.Errorf("malformed message %.80q: expected {\"stdin\":{...}} or {\"tty_size\":{...}}", data)
	}
	return &f, nil
}
