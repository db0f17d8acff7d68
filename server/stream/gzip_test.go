package stream

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// TestGzipSharedChunks: chunks compressed once make valid gzip streams in
// any order and combination, mixed with per-stream lines, and a reader
// gets each line as soon as its chunk is written (no waiting for the
// next one), which a live stream needs.
func TestGzipSharedChunks(t *testing.T) {
	lines := make([][]byte, 5)
	chunks := make([]*Chunk, 5)
	for i := range lines {
		lines[i] = []byte(fmt.Sprintf(`{"index":%d,"events":[%s]}`+"\n", i+1, strings.Repeat(`{"topic":"Allocation"},`, 40*i)+"{}"))
		c, err := NewChunk(lines[i])
		if err != nil {
			t.Fatal(err)
		}
		chunks[i] = c
	}
	// Two subscribers: one gets every chunk, one skips some and gets a
	// line of its own in between.
	for _, pick := range [][]int{{0, 1, 2, 3, 4}, {1, 3, -1, 4}} {
		var buf bytes.Buffer
		g := NewGzipWriter(&buf)
		var want bytes.Buffer
		for _, i := range pick {
			if i < 0 {
				line := []byte("{\"heartbeat\":true}\n")
				if _, err := g.Write(line); err != nil {
					t.Fatal(err)
				}
				want.Write(line)
				continue
			}
			if err := g.WriteChunk(chunks[i]); err != nil {
				t.Fatal(err)
			}
			want.Write(lines[i])
		}
		got := closeAndDecode(t, g, &buf)
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("chunks %v: decoded\n%s\nwant\n%s", pick, got, want.Bytes())
		}
	}

	// Live: the reader sees the first line while the stream stays open.
	pr, pw := io.Pipe()
	g := NewGzipWriter(pw)
	go func() { _ = g.WriteChunk(chunks[2]) }()
	got := make(chan string, 1)
	go func() {
		zr, err := gzip.NewReader(pr)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		line, err := bufio.NewReader(zr).ReadString('\n')
		if err != nil {
			line = "error: " + err.Error()
		}
		got <- line
	}()
	select {
	case line := <-got:
		if line != string(lines[2]) {
			t.Fatalf("live read %q, want %q", line, lines[2])
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a written chunk never reached the reader while the stream was open")
	}
	pw.Close()
}

// BenchmarkEncodeAllocBatch measures what a batch of 250 allocation
// events costs once (encoding and compression; shared by all
// subscribers) and reports the bytes each subscriber is sent.
func BenchmarkEncodeAllocBatch(b *testing.B) {
	nodes := make([]string, 500)
	for i := range nodes {
		nodes[i] = structs.GenerateID()
	}
	var plainBytes, gzBytes int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		events := make([]*Event, 250)
		for j := range events {
			events[j] = allocEvent(nodes, "sim-00003", j, 530)
		}
		b.StartTimer()
		plain, err := encodeLine(530, events, Summary)
		if err != nil {
			b.Fatal(err)
		}
		d, err := Deflate(plain)
		if err != nil {
			b.Fatal(err)
		}
		plainBytes, gzBytes = len(plain), len(d)
	}
	b.ReportMetric(float64(plainBytes)/250, "plain-B/event")
	b.ReportMetric(float64(gzBytes)/250, "gzip-B/event")
}

// allocEvent is a running allocation's event as the simulator makes them:
// allocation j of job, on one of nodes, modified at index (created up to
// 16 indexes before it).
func allocEvent(nodes []string, job string, j int, index uint64) *Event {
	a := &structs.Allocation{ID: structs.GenerateID(), Namespace: "default",
		EvalID: "97df295f-11a2-4eff-9224-8aa063050e15", Name: fmt.Sprintf("%s.g[%d]", job, j),
		NodeID: nodes[j*7%len(nodes)], NodeName: fmt.Sprintf("sim-%05d", j*7%len(nodes)),
		JobID: job, TaskGroup: "g", DesiredStatus: "run", ClientStatus: "running",
		TaskStates:  map[string]*structs.TaskState{"t": {State: "running", StartedAt: 1796641102933504023}},
		CreateIndex: index - min(index, 16), ModifyIndex: index}
	return &Event{Topic: TopicAllocation, Type: "AllocationUpdated", Key: a.ID, Namespace: a.Namespace, Index: index, Payload: a}
}

// closeAndDecode ends g's stream and decodes what it wrote to buf,
// checking the trailer's CRC and length.
func closeAndDecode(t *testing.T, g *GzipWriter, buf *bytes.Buffer) []byte {
	t.Helper()
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return got
}
