package agent

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/mesh/ca"
	"github.com/appmesh/appmesh/server"
)

// minMeshLeafTTL keeps leaves long enough to be renewed (at two thirds)
// without every client asking the leader every few seconds.
const minMeshLeafTTL = time.Minute

// meshCAConfig is what the servers get; unset settings stay zero and take
// the servers' defaults (global.appmesh, 72h). Validate has refused bad
// values, so parse errors cannot happen here.
func (c *ServerConfig) meshCAConfig() server.MeshCAConfig {
	ttl, _ := time.ParseDuration(c.MeshLeafTTL)
	return server.MeshCAConfig{TrustDomain: c.MeshTrustDomain, LeafTTL: ttl}
}

// meshCAProblems validates server.mesh_trust_domain and mesh_leaf_ttl.
func (c *ServerConfig) meshCAProblems() []string {
	var out []string
	if c.MeshTrustDomain != "" {
		if err := ca.ValidTrustDomain(c.MeshTrustDomain); err != nil {
			out = append(out, fmt.Sprintf("server mesh_trust_domain: %v", err))
		}
	}
	if c.MeshLeafTTL != "" {
		if d, err := time.ParseDuration(c.MeshLeafTTL); err != nil || d < minMeshLeafTTL {
			out = append(out, fmt.Sprintf("server mesh_leaf_ttl %q is not a duration of at least %s (e.g. \"72h\")", c.MeshLeafTTL, minMeshLeafTTL))
		}
	}
	return out
}
