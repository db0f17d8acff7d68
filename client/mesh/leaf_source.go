package mesh

import (
	"context"
)

// ManagerSource gives the config builder the leaves of a LeafManager
// (LeafSource), and its change signal so that a renewed leaf or rotated
// roots reach the proxies at once instead of at the next poll.
type ManagerSource struct{ M *LeafManager }

var _ LeafSource = ManagerSource{}

// Leaf implements LeafSource.
func (s ManagerSource) Leaf(ctx context.Context, namespace, service string) (string, string, []string, uint64, error) {
	b, err := s.M.Leaf(ctx, namespace, service)
	if err != nil {
		return "", "", nil, 0, err
	}
	return b.CertPEM, b.KeyPEM, b.RootsPEM, b.Index, nil
}

// Changed is closed at the next change of a leaf or the roots.
func (s ManagerSource) Changed() <-chan struct{} { return s.M.Changed() }

// leafChanges is a LeafSource that says when to ask again.
type leafChanges interface {
	Changed() <-chan struct{}
}
