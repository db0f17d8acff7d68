package exec

import (
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// memory_max = -1 (as in Nomad) lifts the hard limit; memory stays the
// soft limit (the reservation).
func TestLimitsMemoryMaxUnlimited(t *testing.T) {
	l := limitsOf(&structs.Resources{MemoryMB: 64, MemoryMaxMB: structs.MemoryMaxUnlimited})
	if l.memHard != 0 || l.memSoft != 64<<20 {
		t.Fatalf("memory_max = -1: hard %d soft %d, want no hard limit and a 64 MB soft limit", l.memHard, l.memSoft)
	}
	l = limitsOf(&structs.Resources{MemoryMB: 64})
	if l.memHard != 64<<20 || l.memSoft != 0 {
		t.Fatalf("memory only: hard %d soft %d, want 64 MB hard", l.memHard, l.memSoft)
	}
}
