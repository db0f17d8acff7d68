package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain lets the test binary serve as the subscriber child process,
// as the sim binary does under -event-proc.
func TestMain(m *testing.M) {
	if os.Getenv(eventChildEnv) == "1" {
		if err := runEventChild(); err != nil {
			fmt.Fprintln(os.Stderr, "sim event subscribers:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestEventProc runs the subscribers in a real child process against a
// stand-in stream: they connect before startEventProc returns, mark tells
// the bytes read so far while the streams are open, and stop counts the
// bytes and the one stream the server ended before the run did.
func TestEventProc(t *testing.T) {
	var opened atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/event/stream" || r.Header.Get("Accept-Encoding") != "gzip" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusBadRequest)
			return
		}
		n := opened.Add(1)
		w.Write([]byte(strings.Repeat("x", 1000)))
		w.(http.Flusher).Flush()
		if n == 1 {
			return // ends early, as a lagged subscriber's stream does
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	p, err := startEventProc(srv.URL, 3, eventOptions{encoding: "gzip"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := opened.Load(); n != 3 {
		t.Fatalf("%d streams opened before ready, want 3", n)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		read, err := p.mark()
		if err != nil {
			t.Fatal(err)
		}
		if read == 3000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mark: %d bytes read, want 3000", read)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, cpu, err := p.stop()
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 3000 || res.Early != 1 || cpu <= 0 {
		t.Errorf("stop: %+v, cpu %v; want 3000 bytes, 1 stream ended early, some CPU", res, cpu)
	}
}

func TestServerCgroupFlags(t *testing.T) {
	if _, err := parseFlags([]string{"-server-cgroup", "/sys/fs/cgroup/cpu/x"}); err == nil {
		t.Error("-server-cgroup without -procs: want an error")
	}
	o, err := parseFlags([]string{"-procs", "-server-cgroup", "/sys/fs/cgroup/cpu/x"})
	if err != nil || o.srvCgroup != "/sys/fs/cgroup/cpu/x" || o.srvShares != 262144 {
		t.Errorf("-procs -server-cgroup: %+v %v", o, err)
	}
}

func TestEventProcFlags(t *testing.T) {
	if _, err := parseFlags([]string{"-event-cgroup", "/sys/fs/cgroup/cpu/x"}); err == nil {
		t.Error("-event-cgroup without -event-proc: want an error")
	}
	o, err := parseFlags([]string{"-event-subscribers", "5", "-event-proc"})
	if err != nil || !o.eventProc || o.eventShares != 2 {
		t.Errorf("-event-proc: %+v %v", o, err)
	}
}
