package bridgenet

import (
	"net/netip"
	"path/filepath"
	"testing"
)

func TestIPAMAssignsReleasesAndPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipam.json")
	m, err := NewIPAM(path, netip.MustParsePrefix("10.9.0.0/29"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Gateway().String(); got != "10.9.0.1" {
		t.Fatalf("gateway = %s, want 10.9.0.1", got)
	}
	// A /29 has .2 to .6 for allocations (.0 network, .1 gateway, .7 broadcast).
	want := []string{"10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}
	for i, w := range want {
		a, err := m.Allocate(string(rune('a' + i)))
		if err != nil {
			t.Fatalf("allocate %d: %v", i, err)
		}
		if a.String() != w {
			t.Fatalf("allocate %d = %s, want %s", i, a, w)
		}
	}
	if _, err := m.Allocate("full"); err == nil {
		t.Fatal("allocating from a full subnet succeeded")
	}
	again, _ := m.Allocate("b")
	if again.String() != "10.9.0.3" {
		t.Fatalf("second allocate of the same alloc = %s, want its own 10.9.0.3", again)
	}
	if err := m.Release("b"); err != nil {
		t.Fatal(err)
	}

	// A restarted agent reads the book: no address is handed out twice.
	m2, err := NewIPAM(path, netip.MustParsePrefix("10.9.0.0/29"))
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := m2.Lookup("a"); !ok || a.String() != "10.9.0.2" {
		t.Fatalf("after reload alloc a = %v %v, want 10.9.0.2", a, ok)
	}
	if _, ok := m2.Lookup("b"); ok {
		t.Fatal("released address came back after reload")
	}
	n, err := m2.Allocate("new")
	if err != nil || n.String() != "10.9.0.3" {
		t.Fatalf("after reload new alloc = %v (%v), want the freed 10.9.0.3", n, err)
	}
}

func TestIPAMRefusesTinySubnet(t *testing.T) {
	if _, err := NewIPAM(filepath.Join(t.TempDir(), "x"), netip.MustParsePrefix("10.9.0.0/30")); err == nil {
		t.Fatal("a /30 was accepted")
	}
}
