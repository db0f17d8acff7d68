// Package bridgenet gives bridge-mode allocations their own network
// namespace on a host bridge (netlink, no CNI binaries): a small address
// manager persisted in the client's data dir, the bridge and per-allocation
// veth pair, and a userspace TCP forwarder for the mapped ports.
package bridgenet

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
)

// IPAM hands out addresses of one subnet to allocations and remembers them
// in a JSON file, so a restarted agent neither double-assigns an address
// nor loses the one of an allocation that is still running.
type IPAM struct {
	mu      sync.Mutex
	path    string
	prefix  netip.Prefix
	gateway netip.Addr
	// byAlloc maps an allocation ID to its address.
	byAlloc map[string]netip.Addr
}

// NewIPAM loads (or starts) the address book at path for subnet; the
// subnet's first address is the gateway (the bridge's own address).
func NewIPAM(path string, subnet netip.Prefix) (*IPAM, error) {
	subnet = subnet.Masked()
	if !subnet.Addr().Is4() || subnet.Bits() > 29 {
		return nil, fmt.Errorf("bridge subnet %s: need an IPv4 subnet of at least /29", subnet)
	}
	m := &IPAM{path: path, prefix: subnet, gateway: subnet.Addr().Next(), byAlloc: map[string]netip.Addr{}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return m, nil
	case err != nil:
		return nil, fmt.Errorf("reading the bridge address book: %w", err)
	}
	var saved map[string]string
	if err := json.Unmarshal(b, &saved); err != nil {
		return nil, fmt.Errorf("reading the bridge address book %s: %w", path, err)
	}
	for id, s := range saved {
		a, err := netip.ParseAddr(s)
		// An address outside today's subnet (the subnet was changed) is
		// dropped: it could not be routed anyway.
		if err == nil && subnet.Contains(a) {
			m.byAlloc[id] = a
		}
	}
	return m, nil
}

// Gateway is the bridge's address, the allocations' default route.
func (m *IPAM) Gateway() netip.Addr { return m.gateway }

// Prefix is the managed subnet.
func (m *IPAM) Prefix() netip.Prefix { return m.prefix }

// Allocate returns the allocation's address, assigning the lowest free one
// on first use. The book is saved before the address is returned.
func (m *IPAM) Allocate(allocID string) (netip.Addr, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.byAlloc[allocID]; ok {
		return a, nil
	}
	used := make(map[netip.Addr]bool, len(m.byAlloc))
	for _, a := range m.byAlloc {
		used[a] = true
	}
	for a := m.gateway.Next(); m.prefix.Contains(a); a = a.Next() {
		if used[a] || !m.prefix.Contains(a.Next()) { // the last one is broadcast
			continue
		}
		m.byAlloc[allocID] = a
		if err := m.save(); err != nil {
			delete(m.byAlloc, allocID)
			return netip.Addr{}, err
		}
		return a, nil
	}
	return netip.Addr{}, fmt.Errorf("bridge subnet %s has no free address left (%d allocations hold one)", m.prefix, len(m.byAlloc))
}

// Lookup returns the allocation's address, if it has one.
func (m *IPAM) Lookup(allocID string) (netip.Addr, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.byAlloc[allocID]
	return a, ok
}

// Release frees the allocation's address.
func (m *IPAM) Release(allocID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byAlloc[allocID]; !ok {
		return nil
	}
	delete(m.byAlloc, allocID)
	return m.save()
}

// save writes the book atomically (temp file and rename). Callers hold mu.
func (m *IPAM) save() error {
	out := make(map[string]string, len(m.byAlloc))
	for id, a := range m.byAlloc {
		out[id] = a.String()
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the bridge address book: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(m.path), 0o700); err != nil {
		return fmt.Errorf("saving the bridge address book: %w", err)
	}
	tmp := m.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("saving the bridge address book: %w", err)
	}
	if err := os.Rename(tmp, m.path); err != nil {
		return fmt.Errorf("saving the bridge address book: %w", err)
	}
	return nil
}

// Allocs lists the allocations holding an address.
func (m *IPAM) Allocs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.byAlloc))
	for id := range m.byAlloc {
		out = append(out, id)
	}
	return out
}
