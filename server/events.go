package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/appmesh/appmesh/acl"
	"github.com/appmesh/appmesh/server/stream"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-memdb"
)

// eventHeartbeat is how often an idle stream sends a heartbeat line, which
// is also how often the subscriber's token is checked again.
const eventHeartbeat = 10 * time.Second

// setupEvents feeds the event broker from every committed write of the
// state store (and of the stores that replace it on restore).
func (s *Server) setupEvents() {
	s.events = stream.NewBroker(0)
	s.fsm.State().SetChangeHook(func(index uint64, changes memdb.Changes) {
		s.events.Publish(index, stream.FromChanges(index, changes))
	})
}

// EventBroker is the server's event broker (for tests and benchmarks).
func (s *Server) EventBroker() *stream.Broker { return s.events }

// EventStream is one subscriber's open stream.
type EventStream struct {
	srv    *Server
	req    *transport.EventsRequest
	sub    *stream.Subscription
	filter *eventFilter
}

// OpenEventStream checks the request and the caller's token and
// subscribes. Its errors (bad topic, permission denied, an index older
// than the buffer) come before anything is sent.
func (s *Server) OpenEventStream(req *transport.EventsRequest) (*EventStream, error) {
	topics, err := parseTopics(req.Topics)
	if err != nil {
		return nil, err
	}
	pol, _, err := s.ResolveToken(req.AuthToken)
	if err != nil {
		return nil, err
	}
	f, err := newEventFilter(pol, req.Namespace, topics)
	if err != nil {
		return nil, err
	}
	sub, err := s.events.Subscribe(req.Index, f.keep)
	if err != nil {
		if errors.Is(err, stream.ErrLost) {
			return nil, fmt.Errorf("%w: %v", structs.ErrConflict, err)
		}
		return nil, err
	}
	return &EventStream{srv: s, req: req, sub: sub, filter: f}, nil
}

// streamLine is a line of the stream that is not a batch: a heartbeat, or
// the error that ends it.
type streamLine struct {
	Heartbeat bool   `json:"heartbeat,omitempty"`
	Error     string `json:"error,omitempty"`
	// Reset says the subscriber lost events and must re-read the state.
	Reset bool `json:"reset,omitempty"`
}

// eventWriteBuffer is how many bytes of batches a stream gathers before
// writing: a subscriber that is behind gets many batches per write (and
// per HTTP chunk) instead of one system call or more per batch. The
// buffer grows as needed (an idle or quiet subscriber holds little).
const eventWriteBuffer = 256 << 10

// eventLinger is the longest the first batch after a quiet spell waits in
// a subscriber's buffer for more to send with it. A busy cluster commits
// a batch every millisecond or so; sending each at once costs every
// subscriber a system call per batch, which with a hundred subscribers
// was most of the stream's CPU. It is the broker's frame slot: streams
// send on that grid, so that those that are caught up send the same
// frames at the same moment (stream/frame.go).
const eventLinger = stream.FrameSlot

// eventLingerBusy is the longest linger of a stream whose batches keep
// coming: each send right after the last one doubles the linger up to
// it, and a quiet spell of eventLinger resets it. Every send costs a
// subscriber a write system call whatever its size (the HTTP body is not
// chunked, command/agent/http_events.go). A multiple of eventLinger.
const eventLingerBusy = 4 * eventLinger

// streamWriter buffers one subscriber's lines and sends them on the
// linger's grid.
type streamWriter struct {
	bw    *lineBuffer
	gz    *stream.GzipWriter // nil: plain lines
	enc   *json.Encoder
	flush func()
	form  stream.Form
	// linger is how long the batches of a send gather (sendAt), and
	// sentAt the instant of the last send, on the broker's clock (0:
	// none yet).
	linger time.Duration
	sentAt time.Duration
}

func newStreamWriter(req *transport.EventsRequest, w io.Writer, flush func()) *streamWriter {
	bw := &lineBuffer{w: w, max: eventWriteBuffer}
	sw := &streamWriter{bw: bw, enc: json.NewEncoder(bw), flush: flush, form: stream.Summary, linger: eventLinger}
	if req.Full {
		sw.form = stream.Full
	}
	if req.Gzip {
		sw.gz = stream.NewGzipWriter(bw)
		sw.enc = json.NewEncoder(sw.gz)
		// Sent with the first flush, even before any batch: it tells a
		// forwarding agent that this server compresses.
		_ = sw.gz.Start() // into the buffer; a write error shows at the flush
	}
	return sw
}

// sendAt is when the batches that start with one published at at go
// out: the next instant of the linger's grid after it. The linger is
// eventLinger after a quiet spell, and doubles up to eventLingerBusy for
// each send that follows the last one within eventLinger. Both depend
// only on publish times and on the grid, so subscribers that are caught
// up send the same batches at the same instant.
func (sw *streamWriter) sendAt(at time.Duration) time.Duration {
	if sw.sentAt > 0 && at-sw.sentAt < eventLinger {
		sw.linger = min(2*sw.linger, eventLingerBusy)
	} else {
		sw.linger = eventLinger
	}
	return (at/sw.linger + 1) * sw.linger
}

// heartbeat sends a heartbeat line at once.
func (sw *streamWriter) heartbeat() error {
	var err error
	if sw.gz != nil {
		err = sw.gz.WriteChunk(heartbeatChunk)
	} else {
		_, err = sw.bw.Write(heartbeatLine)
	}
	if err != nil {
		return err
	}
	return sw.idle()
}

// heartbeatLine is a heartbeat, and heartbeatChunk the same compressed
// once for every gzip stream.
var (
	heartbeatLine  = []byte(`{"heartbeat":true}` + "\n")
	heartbeatChunk = func() *stream.Chunk {
		c, err := stream.NewChunk(heartbeatLine)
		if err != nil {
			panic(err) // a constant line
		}
		return c
	}()
)

// close ends a stream that ends normally (a gzip stream needs its
// trailer) and sends what is buffered.
func (sw *streamWriter) close() error {
	if sw.gz != nil {
		if err := sw.gz.Close(); err != nil {
			return err
		}
	}
	return sw.idle()
}

func (sw *streamWriter) idle() error {
	if err := sw.bw.Flush(); err != nil {
		return err
	}
	sw.flush()
	return nil
}

// lineBuffer gathers writes up to max bytes and writes them in one go,
// growing its buffer as needed, unlike a bufio.Writer of that size.
type lineBuffer struct {
	w   io.Writer
	buf []byte
	max int
}

func (b *lineBuffer) Write(p []byte) (int, error) {
	if len(b.buf)+len(p) > b.max {
		if err := b.Flush(); err != nil {
			return 0, err
		}
		if len(p) > b.max {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes what is buffered.
func (b *lineBuffer) Flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

// batch writes one batch line. A batch the subscriber gets whole is
// encoded once for every subscriber of the same form (stream.Batch.Line),
// so a hundred subscribers cost the encoding of one.
func (sw *streamWriter) batch(b stream.Batch) error {
	if sw.gz != nil {
		c, err := b.Chunk(sw.form)
		if err != nil {
			return err
		}
		return sw.gz.WriteChunk(c)
	}
	line, err := b.Line(sw.form)
	if err != nil {
		return err
	}
	_, err = sw.bw.Write(line)
	return err
}

// Run writes the stream as newline-delimited JSON until ctx ends, the
// writer fails or (without Follow) the buffered events are sent. flush is
// called after each send.
func (es *EventStream) Run(ctx context.Context, w io.Writer, flush func()) error {
	sw := newStreamWriter(es.req, w, flush)
	if sw.gz != nil {
		if err := sw.idle(); err != nil { // the gzip header, at once
			return err
		}
	}
	if !es.req.Follow {
		if rerr, werr := es.send(sw, math.MaxInt64); werr != nil {
			return werr
		} else if rerr != nil {
			return es.end(sw, rerr)
		}
		return sw.close()
	}
	// One timer for the linger sleeps and the heartbeat waits, reset for
	// each (a new timer and context per wait showed in the profiles).
	timer := time.NewTimer(eventHeartbeat)
	timer.Stop()
	defer timer.Stop()
	broker := es.srv.events
	for {
		timer.Reset(eventHeartbeat)
		at, ok, err := es.sub.Peek(ctx, timer.C)
		timer.Stop() // no stale tick after Stop (Go 1.23 timers)
		if err != nil {
			return es.end(sw, err)
		}
		if !ok { // a heartbeat's time without a batch
			if err := es.recheck(); err != nil {
				return es.end(sw, err)
			}
			if err := sw.heartbeat(); err != nil {
				return err
			}
			continue
		}
		// Sleep out the linger and read whatever came meanwhile in one
		// go (a wake-up per batch per subscriber was a large part of the
		// stream's cost). A stream that is behind (it resumed, or waited
		// for a core) sends every slot that is over at once.
		due, now := sw.sendAt(at), broker.Now()
		if due > now {
			if err := sleepCtx(ctx, timer, due-now); err != nil {
				return es.end(sw, err)
			}
		} else {
			due = now.Truncate(stream.FrameSlot)
		}
		if rerr, werr := es.send(sw, stream.SlotOf(due)); werr != nil {
			return werr
		} else if rerr != nil {
			return es.end(sw, rerr)
		}
		sw.sentAt = due
		if err := sw.idle(); err != nil {
			return err
		}
	}
}

// send writes every batch published in a slot before the slot before: a
// gzip stream's whole frames as one shared chunk each. It returns the
// subscription's error (a lagged subscriber) apart from the writer's.
func (es *EventStream) send(sw *streamWriter, before int64) (readErr, writeErr error) {
	for {
		batch, ok, err := es.sub.NextUpTo(before, sw.gz != nil)
		if err != nil || !ok {
			return err, nil
		}
		if err := sw.batch(batch); err != nil {
			return nil, err
		}
	}
}

// sleepCtx sleeps d on the stopped timer t or until ctx ends (its
// error), and leaves t stopped.
func sleepCtx(ctx context.Context, t *time.Timer, d time.Duration) error {
	t.Reset(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// end writes the error that ends the stream, except when the caller went
// away.
func (es *EventStream) end(sw *streamWriter, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	_ = sw.enc.Encode(streamLine{Error: err.Error(), Reset: errors.Is(err, stream.ErrLost)})
	_ = sw.close()
	return nil
}

// recheck resolves the token again, so that a deleted token or a changed
// policy ends or narrows the stream within a heartbeat.
func (es *EventStream) recheck() error {
	pol, _, err := es.srv.ResolveToken(es.req.AuthToken)
	if err != nil {
		return err
	}
	f, err := newEventFilter(pol, es.req.Namespace, es.filter.topics)
	if err != nil {
		return err
	}
	es.filter.set(f)
	return nil
}

// serveEventStream answers a StreamEvents stream from an agent without a
// server of its own.
func (s *Server) serveEventStream(st net.Conn) {
	defer st.Close()
	req, err := transport.ReadEventsRequest(st)
	if err != nil {
		return
	}
	es, err := s.OpenEventStream(req)
	if werr := transport.WriteStreamStatus(st, err); err != nil || werr != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.shutdownCtx)
	defer cancel()
	// The agent closes the stream when its caller goes away: a read
	// returning is the signal to stop.
	go func() {
		_, _ = io.Copy(io.Discard, st)
		cancel()
	}()
	_ = es.Run(ctx, st, func() {})
}

// parseTopics reads "Topic" and "Topic:key" into topic → keys (an empty
// key list: every key). No topic at all means every topic.
func parseTopics(raw []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(raw) == 0 {
		raw = []string{stream.TopicAll}
	}
	for _, t := range raw {
		topic, key, _ := strings.Cut(t, ":")
		if topic != stream.TopicAll && !slices.Contains(stream.Topics, topic) {
			return nil, fmt.Errorf("invalid: unknown event topic %q: use one of %s or *", topic, strings.Join(stream.Topics, ", "))
		}
		if key == "" || key == "*" {
			out[topic] = []string{}
			continue
		}
		if keys, ok := out[topic]; ok && len(keys) == 0 {
			continue // already every key
		}
		out[topic] = append(out[topic], key)
	}
	return out, nil
}

// Namespace wildcard of the event stream.
const allNamespaces = "*"

func checkEventNamespace(pol *acl.ACL, ns string) error {
	if ns == allNamespaces {
		return nil
	}
	return pol.CheckNamespace(ns, acl.CapabilityReadJob)
}
