package client

import (
	"testing"

	"github.com/appmesh/appmesh/metrics"
	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func heartbeatsTimed(t *testing.T) uint64 {
	t.Helper()
	var m dto.Metric
	if err := metrics.ClientHeartbeat.(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// TestHeartbeatMetrics: answered heartbeats are timed in
// heartbeat_seconds; heartbeats no server answers are counted in
// heartbeat_failures_total and not timed, so that a cut-off node's retries
// do not pass for slow servers.
func TestHeartbeatMetrics(t *testing.T) {
	srv := newTestServer(t)
	newTestClient(t, srv, t.TempDir())
	failed0 := promtest.ToFloat64(metrics.ClientHeartbeatFailures)
	timed0 := heartbeatsTimed(t)
	waitFor(t, "three answered heartbeats", func() bool { _, h := srv.counts(); return h >= 3 })
	waitFor(t, "them timed", func() bool { return heartbeatsTimed(t) >= timed0+3 })
	if f := promtest.ToFloat64(metrics.ClientHeartbeatFailures); f != failed0 {
		t.Fatalf("heartbeat failures moved by %v while the server answered", f-failed0)
	}

	srv.mu.Lock()
	srv.unreachable = true
	srv.mu.Unlock()
	// A heartbeat answered just before the cut may still be observed.
	waitFor(t, "one failure settled", func() bool { return promtest.ToFloat64(metrics.ClientHeartbeatFailures) >= failed0+1 })
	timedAtCut := heartbeatsTimed(t)
	waitFor(t, "two more failures", func() bool { return promtest.ToFloat64(metrics.ClientHeartbeatFailures) >= failed0+3 })
	if got := heartbeatsTimed(t); got != timedAtCut {
		t.Fatalf("failed heartbeats were timed: heartbeat_seconds count went from %d to %d", timedAtCut, got)
	}
}
