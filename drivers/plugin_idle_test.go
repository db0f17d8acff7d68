package drivers

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// countingDriver is a Driver whose running task count the test sets.
type countingDriver struct {
	Driver
	n atomic.Int32
}

func (d *countingDriver) RunningTasks() int { return int(d.n.Load()) }

// The monitor never ends a plugin that runs a task, and ends an idle one
// once the grace has passed since the last task or ping.
func TestIdleMonitor(t *testing.T) {
	d := &countingDriver{}
	d.n.Store(1)
	exited := make(chan struct{})
	m := newIdleMonitor(d, 200*time.Millisecond, hclog.NewNullLogger(), func() { close(exited) })
	now := time.Now()
	if idle := m.idleFor(now.Add(time.Hour)); idle != 0 {
		t.Fatalf("a plugin running a task is idle for %v", idle)
	}
	d.n.Store(0)
	later := now.Add(time.Hour)
	if idle := m.idleFor(later.Add(time.Second)); idle < time.Second {
		t.Fatalf("idle for %v a second after its last task, want at least 1s", idle)
	}
	if got := m.ping(); got != 0 {
		t.Fatalf("ping reports %d running, want 0", got)
	}
	if idle := m.idleFor(time.Now()); idle >= 200*time.Millisecond {
		t.Fatalf("idle for %v right after a ping", idle)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.run(ctx)
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		t.Fatal("an idle plugin did not exit")
	}
}
