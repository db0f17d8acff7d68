package agent

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appmesh/appmesh/transport"
	"github.com/hashicorp/go-hclog"
)

type testEvent struct {
	Topic   string          `json:"topic"`
	Type    string          `json:"type"`
	Key     string          `json:"key"`
	Index   uint64          `json:"index"`
	Payload json.RawMessage `json:"payload"`
}

type testLine struct {
	Index     uint64      `json:"index"`
	Events    []testEvent `json:"events"`
	Heartbeat bool        `json:"heartbeat"`
	Error     string      `json:"error"`
}

// eventReader reads an event stream in the background.
type eventReader struct {
	mu     sync.Mutex
	lines  []testLine
	done   chan struct{}
	cancel context.CancelFunc
	err    error
}

func openEvents(t *testing.T, base, query string) *eventReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/event/stream?"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open event stream %s: %v", query, err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("open event stream %s: status %d", query, resp.StatusCode)
	}
	er := &eventReader{done: make(chan struct{}), cancel: cancel}
	t.Cleanup(func() { cancel(); <-er.done })
	go func() {
		defer close(er.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			var l testLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				er.mu.Lock()
				er.err = fmt.Errorf("bad line %q: %w", sc.Text(), err)
				er.mu.Unlock()
				return
			}
			er.mu.Lock()
			er.lines = append(er.lines, l)
			er.mu.Unlock()
		}
	}()
	return er
}

func (er *eventReader) batches() []testLine {
	er.mu.Lock()
	defer er.mu.Unlock()
	var out []testLine
	for _, l := range er.lines {
		if len(l.Events) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// waitFor waits until cond holds on the batches read so far.
func (er *eventReader) waitFor(t *testing.T, what string, cond func([]testLine) bool) []testLine {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b := er.batches()
		if cond(b) {
			return b
		}
		er.mu.Lock()
		err := er.err
		er.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("event stream: %s never happened; got %s", what, describeBatches(b))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func describeBatches(bs []testLine) string {
	var sb strings.Builder
	for _, b := range bs {
		for _, e := range b.Events {
			fmt.Fprintf(&sb, "%d %s %s %s\n", b.Index, e.Topic, e.Type, e.Key)
		}
	}
	return sb.String()
}

func hasEvent(bs []testLine, topic, typ string, payloadHas string) bool {
	for _, b := range bs {
		for _, e := range b.Events {
			if e.Topic == topic && e.Type == typ && strings.Contains(string(e.Payload), payloadHas) {
				return true
			}
		}
	}
	return false
}

// TestEventStream: a subscriber opened before `job run` sees the job, its
// evaluation and its allocation in Raft-index order; one that disconnects
// and resumes from its last index gets exactly what the uninterrupted one
// got; a client-only agent forwards the stream; bad input is refused.
func TestEventStream(t *testing.T) {
	a, c := startTestAgent(t, "events-node")
	base := "http://" + a.HTTPAddr()
	all := openEvents(t, base, "topic=Job&topic=Evaluation&topic=Allocation")
	first := openEvents(t, base, "topic=Job&topic=Evaluation&topic=Allocation")
	onlyWeb := openEvents(t, base, "topic=Allocation:evweb")

	runSleepJob(t, c, "evweb", "events-node")
	got := all.waitFor(t, "job, eval and running alloc", func(bs []testLine) bool {
		return hasEvent(bs, "Job", "JobRegistered", `"id":"evweb"`) &&
			hasEvent(bs, "Evaluation", "EvaluationUpdated", `"job_id":"evweb"`) &&
			hasEvent(bs, "Allocation", "AllocationUpdated", `"client_status":"running"`)
	})
	for i := 1; i < len(got); i++ {
		if got[i].Index <= got[i-1].Index {
			t.Fatalf("batches out of Raft order:\n%s", describeBatches(got))
		}
	}
	for _, b := range got {
		for _, e := range b.Events {
			if e.Index != b.Index {
				t.Errorf("event %s %s at index %d in batch %d", e.Topic, e.Key, e.Index, b.Index)
			}
		}
	}
	// The job's events come before its evaluation's first placement.
	if o := firstIndex(got, "Job", "evweb"); o == 0 || o > firstIndexOfTopic(got, "Allocation") {
		t.Errorf("job registered at %d, after its first allocation event:\n%s", o, describeBatches(got))
	}

	// The second reader stops after its first batch; it resumes from there.
	part := first.waitFor(t, "a first batch", func(bs []testLine) bool { return len(bs) > 0 })
	first.cancel()
	<-first.done
	part = first.batches()
	last := part[len(part)-1].Index
	resumed := openEvents(t, base, fmt.Sprintf("topic=Job&topic=Evaluation&topic=Allocation&index=%d&follow=false", last))
	<-resumed.done
	combined := append(append([]testLine(nil), part...), resumed.batches()...)
	end := combined[len(combined)-1].Index
	want := all.waitFor(t, "the uninterrupted reader catches up", func(bs []testLine) bool {
		return len(bs) > 0 && bs[len(bs)-1].Index >= end
	})
	if a, b := describeUpTo(combined, end), describeUpTo(want, end); a != b {
		t.Fatalf("resumed stream differs from the uninterrupted one\nresumed:\n%s\nuninterrupted:\n%s", a, b)
	}

	// The key filter: only evweb's allocations.
	onlyWeb.waitFor(t, "evweb's allocation", func(bs []testLine) bool {
		return hasEvent(bs, "Allocation", "AllocationUpdated", `"job_id":"evweb"`)
	})
	for _, b := range onlyWeb.batches() {
		for _, e := range b.Events {
			if e.Topic != "Allocation" {
				t.Errorf("topic=Allocation:evweb got a %s event", e.Topic)
			}
		}
	}

	// An agent without a server forwards the stream from a server over
	// the RPC transport. (An agent with only a remote is built directly:
	// a client-only agent's shutdown would wait for its alloc watch.)
	remote := newServerRPC(hclog.NewNullLogger(), []string{fmt.Sprintf("127.0.0.1:%d", a.config.Ports.RPC)})
	defer remote.close()
	fwdAgent := &Agent{config: a.config, logger: hclog.NewNullLogger(), remote: remote}
	run, err := fwdAgent.OpenEvents(context.Background(), &transport.EventsRequest{Topics: []string{"Job"}, Index: 1})
	if err != nil {
		t.Fatalf("open a forwarded stream: %v", err)
	}
	var buf strings.Builder
	if err := run(context.Background(), &buf, func() {}); err != nil {
		t.Fatalf("forwarded stream: %v", err)
	}
	if !strings.Contains(buf.String(), `"type":"JobRegistered"`) || !strings.Contains(buf.String(), `"key":"evweb"`) {
		t.Errorf("forwarded stream lacks the job: %s", buf.String())
	}

	// On the wire, over HTTP/1.1: not chunked, ended by the close.
	if body := rawEventStream(t, a.HTTPAddr(), "topic=Job&index=1&follow=false"); !strings.Contains(body, `"key":"evweb"`) {
		t.Errorf("raw HTTP/1.1 stream lacks the job: %s", body)
	}
	// Compressed, forwarded as it is: the agent sees the server's gzip
	// header and keeps Gzip set, so the caller is told Content-Encoding.
	gzReq := &transport.EventsRequest{Topics: []string{"Job"}, Index: 1, Gzip: true}
	run, err = fwdAgent.OpenEvents(context.Background(), gzReq)
	if err != nil || !gzReq.Gzip {
		t.Fatalf("open a forwarded gzip stream: %v (gzip still set: %v)", err, gzReq.Gzip)
	}
	var zbuf bytes.Buffer
	if err := run(context.Background(), &zbuf, func() {}); err != nil {
		t.Fatalf("forwarded gzip stream: %v", err)
	}
	zr, err := gzip.NewReader(&zbuf)
	if err != nil {
		t.Fatalf("forwarded gzip stream: %v", err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !strings.Contains(string(plain), `"key":"evweb"`) {
		t.Errorf("forwarded gzip stream: %v, %s", err, plain)
	}
	if _, err := fwdAgent.OpenEvents(context.Background(), &transport.EventsRequest{Topics: []string{"Nope"}}); err == nil ||
		!strings.Contains(err.Error(), "unknown event topic") {
		t.Errorf("forwarded bad topic: %v", err)
	}

	for q, want := range map[string]int{
		"topic=Jobs":                     http.StatusBadRequest,
		"index=-1":                       http.StatusBadRequest,
		"follow=maybe":                   http.StatusBadRequest,
		"topic=Job&index=1&follow=false": http.StatusOK,
	} {
		resp, err := http.Get(base + "/v1/event/stream?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("?%s: %d, want %d", q, resp.StatusCode, want)
		}
	}
}

func firstIndex(bs []testLine, topic, key string) uint64 {
	for _, b := range bs {
		for _, e := range b.Events {
			if e.Topic == topic && e.Key == key {
				return b.Index
			}
		}
	}
	return 0
}

func firstIndexOfTopic(bs []testLine, topic string) uint64 {
	for _, b := range bs {
		for _, e := range b.Events {
			if e.Topic == topic {
				return b.Index
			}
		}
	}
	return ^uint64(0)
}

func describeUpTo(bs []testLine, end uint64) string {
	var keep []testLine
	for _, b := range bs {
		if b.Index <= end {
			keep = append(keep, b)
		}
	}
	return describeBatches(keep)
}

// rawEventStream reads a gzip event stream over a plain HTTP/1.1
// connection and checks that its body is sent whole (no chunked framing,
// each send one write) and ended by the server closing the connection.
func rawEventStream(t *testing.T, addr, query string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// follow=false: the server ends the body by closing; a server that
	// does not fails here instead of hanging the test.
	conn.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(conn, "GET /v1/event/stream?%s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: gzip\r\n\r\n", query, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the stream's response: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(resp.TransferEncoding) != 0 || !resp.Close || resp.ContentLength != -1 {
		t.Fatalf("stream response: status %d, transfer encoding %v, close %v, length %d; want 200, none, close, unknown",
			resp.StatusCode, resp.TransferEncoding, resp.Close, resp.ContentLength)
	}
	if enc := resp.Header.Get("Content-Encoding"); enc != "gzip" {
		t.Fatalf("stream Content-Encoding %q, want gzip", enc)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr) // to the gzip trailer, then EOF at the close
	if err != nil {
		t.Fatalf("decode the stream: %v", err)
	}
	return string(plain)
}
