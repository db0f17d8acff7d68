package client

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/mesh/proxy"
	"github.com/appmesh/appmesh/structs"
	"github.com/prometheus/client_golang/prometheus"
)

// MeshProxyMetricsTargets lists the /metrics endpoints of the sidecar
// proxies and ingress gateways running on this node: each injected proxy
// task serves them on the Unix socket <task dir>/metrics.sock, in host
// and bridge mode alike (a bridge namespace's loopback is not the
// agent's, and a loopback port would be open to every local user). The
// labels are the proxy's service and namespace only, so series stay
// bounded; the proxies of one service on this node are summed by the
// gatherer.
func (c *Client) MeshProxyMetricsTargets() []proxy.Target {
	c.allocMu.RLock()
	runners := make([]*allocrunner.AllocRunner, 0, len(c.allocs))
	for _, ar := range c.allocs {
		runners = append(runners, ar)
	}
	c.allocMu.RUnlock()

	var out []proxy.Target
	for _, ar := range runners {
		a, g, ok := c.MeshAllocGroup(ar.Alloc().ID)
		if !ok {
			continue
		}
		for _, t := range g.Tasks {
			svc := t.MeshProxyService()
			if svc == "" {
				continue
			}
			if st, ok := ar.TaskState(t.Name); !ok || st.State != structs.TaskStateRunning {
				continue
			}
			socket := filepath.Join(ar.AllocDir().TaskDir(t.Name), structs.ProxyMetricsSocket)
			// A proxy without the socket is skipped, not reported as a
			// failed scrape: a host-mode allocation placed before the
			// upgrade that moved its metrics here still serves them on
			// its "<task>-metrics" loopback port, which is no longer read
			// (its series come back when the allocation is replaced), and
			// a proxy that is just starting has not bound it yet.
			if _, err := os.Lstat(socket); err != nil {
				continue
			}
			ns := a.Namespace
			if ns == "" {
				ns = structs.DefaultNamespace
			}
			out = append(out, proxy.Target{
				Socket: socket,
				Labels: map[string]string{"service": svc, "namespace": ns},
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Socket < out[j].Socket })
	return out
}

// MeshProxyGatherer merges the running proxies' metrics, for the agent's
// /v1/metrics next to its own registry.
func (c *Client) MeshProxyGatherer() prometheus.Gatherer {
	return &proxy.Gatherer{Targets: c.MeshProxyMetricsTargets}
}
