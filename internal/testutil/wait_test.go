package testutil

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeT records a failure instead of ending the test, so the failing path
// of Wait can be checked.
type fakeT struct {
	testing.TB
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatal(args ...any) {
	f.failed = args[0].(string)
}

func TestWaitForReturnsOnceTrue(t *testing.T) {
	var n atomic.Int32
	WaitFor(t, "third call", func() bool { return n.Add(1) >= 3 })
	if got := n.Load(); got != 3 {
		t.Fatalf("cond called %d times, want 3", got)
	}
}

func TestWaitFailsWithWhatStateAndDump(t *testing.T) {
	ft := &fakeT{TB: t}
	Wait{Timeout: 50 * time.Millisecond, Dump: func() string { return "the log" }}.
		ForErr(ft, "the moon", func() error { return errors.New("still waning") })
	for _, want := range []string{"the moon", "still waning", "the log"} {
		if !strings.Contains(ft.failed, want) {
			t.Errorf("failure message %q lacks %q", ft.failed, want)
		}
	}
}
