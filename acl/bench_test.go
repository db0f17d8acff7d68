package acl

import (
	"fmt"
	"testing"
)

// benchACL looks like a busy token: a few policies, exact rules and globs.
func benchACL(b *testing.B) *ACL {
	rules := []string{
		`namespace "default" { policy = "read" }
namespace "prod-*" { policy = "read" capabilities = ["read-logs"] }
namespace "prod-eu-*" { policy = "write" }
namespace "*-staging" { policy = "write" }
operator { policy = "read" }`,
		`namespace "team-a" { policy = "write" capabilities = ["submit-privileged-job"] }
namespace "team-b" { policy = "read" }
namespace "secret" { policy = "deny" }
namespace "*" { capabilities = ["list-jobs"] }`,
	}
	for i := range 20 {
		rules = append(rules, fmt.Sprintf(`namespace "svc-%d" { policy = "write" }
namespace "svc-%d-*" { policy = "read" }`, i, i))
	}
	return mustACL(b, rules...)
}

// BenchmarkAllowNamespaceOperation measures the check made on every request.
func BenchmarkAllowNamespaceOperation(b *testing.B) {
	a := benchACL(b)
	for _, bc := range []struct {
		name, ns, capability string
		want                 bool
	}{
		{"exact", "team-a", CapabilitySubmitJob, true},
		{"closest glob", "prod-eu-1", CapabilityAllocExec, true},
		{"catch-all glob", "nowhere", CapabilityListJobs, true},
		{"denied", "secret", CapabilityReadJob, false},
		{"unknown capability", "team-a", "made-up", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if got := a.AllowNamespaceOperation(bc.ns, bc.capability); got != bc.want {
				b.Fatalf("AllowNamespaceOperation(%q, %q) = %v, want %v", bc.ns, bc.capability, got, bc.want)
			}
			b.ReportAllocs()
			for b.Loop() {
				a.AllowNamespaceOperation(bc.ns, bc.capability)
			}
		})
	}
	b.Run("management", func(b *testing.B) {
		m := Management()
		b.ReportAllocs()
		for b.Loop() {
			m.AllowNamespaceOperation("prod", CapabilitySubmitJob)
		}
	})
}
