package agent

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/appmesh/appmesh/metrics"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
)

// An agent with a blocking query open (a browser tab of the UI) shuts its
// HTTP API down cleanly: the query ends with the request's context instead
// of holding the shutdown to its deadline ("context deadline exceeded").
func TestShutdownEndsBlockingQueries(t *testing.T) {
	a, _ := startTestAgentWith(t, "blocked", nil)
	base := "http://" + a.HTTPAddr()
	resp, err := http.Get(base + "/v1/jobs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	index := resp.Header.Get("X-Appmesh-Index")
	started := make(chan struct{})
	go func() {
		close(started)
		resp, err := http.Get(fmt.Sprintf("%s/v1/jobs?index=%s&wait=5m", base, index))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	// The query must be waiting in the server before the shutdown starts:
	// with the local client's allocation watch, two blocking reads wait.
	deadline := time.Now().Add(time.Minute)
	for promtest.ToFloat64(metrics.BlockingQueries) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the HTTP query and the client's watch never both waited (blocking queries: %v)", promtest.ToFloat64(metrics.BlockingQueries))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The agent runs a client too, whose allocation watch is a blocking
	// query of five minutes: a shutdown that waits it out is a hang, not
	// a slow machine.
	done := make(chan error, 1)
	go func() { done <- a.Shutdown() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown with a blocking query open: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("shutdown hung: a blocking query (the HTTP one or the local client's allocation watch) held it")
	}
}
