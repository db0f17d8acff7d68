package client

import (
	"strings"
	"testing"
)

// A bridge subnet the operator set but that cannot work stops the client
// at start with the setting named, not at the first bridge allocation.
func TestClientRefusesBadBridgeSettings(t *testing.T) {
	srv := newTestServer(t)
	for _, tc := range []struct{ name, subnet, want string }{
		{"too long", "", "longer than the kernel's 15 characters"},
		{"", "10.1.0.0/30", "need an IPv4 subnet of at least /29"},
		{"", "nonsense", `bridge subnet "nonsense"`},
	} {
		name := tc.name
		if name == "too long" {
			name = "appmesh-bridge-0123"
		}
		c, err := New(&Config{DataDir: t.TempDir(), RPC: srv, Drivers: NewInProcessDriverManager(nil),
			BridgeName: name, BridgeSubnet: tc.subnet})
		if err == nil {
			c.Shutdown()
			t.Fatalf("bridge %q subnet %q: client started", name, tc.subnet)
		}
		if !strings.Contains(err.Error(), "bridge_network_") || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("bridge %q subnet %q: error %v, want it to name the setting and say %q", name, tc.subnet, err, tc.want)
		}
	}
}
