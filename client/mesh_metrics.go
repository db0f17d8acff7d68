package client

import (
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/appmesh/appmesh/client/allocrunner"
	"github.com/appmesh/appmesh/mesh/proxy"
	"github.com/appmesh/appmesh/structs"
	"github.com/prometheus/client_golang/prometheus"
)

// MeshProxyMetricsTargets lists the /metrics endpoints of the sidecar
// proxies and ingress gateways running on this node: each injected proxy
// task serves them on 127.0.0.1 at its "<task>-metrics" port, or in a
// bridge namespace (whose loopback is not the agent's) on the Unix socket
// <task dir>/metrics.sock. The labels are the proxy's service and namespace
// only, so series stay bounded; the proxies of one service on this node
// are summed by the gatherer.
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
			ns := a.Namespace
			if ns == "" {
				ns = structs.DefaultNamespace
			}
			target := proxy.Target{Labels: map[string]string{"service": svc, "namespace": ns}}
			if g.Network.IsBridge() {
				target.URL = "http://proxy/metrics"
				target.Socket = filepath.Join(ar.AllocDir().TaskDir(t.Name), structs.ProxyMetricsSocket)
			} else {
				port, ok := allocPortValue(a, structs.ProxyMetricsPortLabel(t.Name))
				if !ok {
					continue
				}
				target.URL = fmt.Sprintf("http://%s/metrics", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			}
			out = append(out, target)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Socket+out[i].URL < out[j].Socket+out[j].URL })
	return out
}

func allocPortValue(a *structs.Allocation, label string) (int, bool) {
	for _, p := range a.AllocatedPorts {
		if p.Label == label {
			return p.Value, true
		}
	}
	return 0, false
}

// MeshProxyGatherer merges the running proxies' metrics, for the agent's
// /v1/metrics next to its own registry.
func (c *Client) MeshProxyGatherer() prometheus.Gatherer {
	return &proxy.Gatherer{Targets: c.MeshProxyMetricsTargets}
}
