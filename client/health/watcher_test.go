package health

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/internal/testutil"
	"github.com/appmesh/appmesh/structs"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, what, cond)
}

// Only status changes are reported, not every run; the output is kept.
func TestWatcher_ReportsChangesOnly(t *testing.T) {
	var runs atomic.Int32
	var fail atomic.Bool
	exec := func(cmd []string, _ time.Duration) (*drivers.ExecResult, error) {
		runs.Add(1)
		if fail.Load() {
			return &drivers.ExecResult{Stdout: []byte("bad\n"), ExitCode: 2}, nil
		}
		return &drivers.ExecResult{Stdout: []byte("ok " + strings.Join(cmd, " "))}, nil
	}
	var mu sync.Mutex
	var reports []string
	w := Start(context.Background(), Config{
		Checks: []*structs.Check{{Type: structs.CheckTypeScript, Command: "probe", Args: []string{"-v"}, Interval: structs.Duration(time.Millisecond)}},
		Exec:   exec,
		OnChange: func(h string, checks []*structs.CheckStatus) {
			mu.Lock()
			defer mu.Unlock()
			reports = append(reports, h+":"+checks[0].Output)
		},
	})
	defer w.Stop()
	waitFor(t, "20 passing runs", func() bool { return runs.Load() >= 20 })
	fail.Store(true)
	n := runs.Load()
	waitFor(t, "20 failing runs", func() bool { return runs.Load() >= n+20 })
	w.Stop()
	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 2 || reports[0] != "healthy:ok probe -v" || reports[1] != "unhealthy:bad\nexit code 2" {
		t.Fatalf("want exactly two reports (healthy, unhealthy), got %q", reports)
	}
	if st := w.Statuses(); st[0].Name != "script-1" || st[0].Status != structs.HealthUnhealthy {
		t.Fatalf("statuses: %+v", st[0])
	}
}

func TestAggregateAndTail(t *testing.T) {
	st := func(s ...string) []*structs.CheckStatus {
		var out []*structs.CheckStatus
		for _, v := range s {
			out = append(out, &structs.CheckStatus{Status: v})
		}
		return out
	}
	for _, tc := range []struct {
		in   []*structs.CheckStatus
		want string
	}{
		{st(), ""},
		{st(structs.HealthHealthy, structs.HealthHealthy), structs.HealthHealthy},
		{st(structs.HealthHealthy, ""), ""},
		{st("", structs.HealthUnhealthy), structs.HealthUnhealthy},
	} {
		if got := Aggregate(tc.in); got != tc.want {
			t.Errorf("Aggregate = %q, want %q", got, tc.want)
		}
	}
	long := strings.Repeat("a", MaxOutput) + "END"
	if got := tail(long); len(got) != MaxOutput || !strings.HasSuffix(got, "END") {
		t.Fatalf("tail keeps the last %d bytes: len %d", MaxOutput, len(got))
	}
}

func TestProber_UnknownPortLabel(t *testing.T) {
	p := newProber(nil, map[string]int{"http": 8080})
	res := p.run(context.Background(), &structs.Check{Type: structs.CheckTypeTCP, Port: "admin"})
	if res.ok || !strings.Contains(res.output, `port "admin" is neither a port label`) {
		t.Fatalf("got %+v", res)
	}
	res = p.run(context.Background(), &structs.Check{Type: structs.CheckTypeScript, Command: "x"})
	if res.ok || !strings.Contains(res.output, "need a driver that can exec") {
		t.Fatalf("got %+v", res)
	}
}
