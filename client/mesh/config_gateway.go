package mesh

import (
	"net"
	"strconv"

	"github.com/appmesh/appmesh/structs"
)

// gatewayBaseConfig is the config of an ingress gateway: no inbound
// listener, and one upstream per ingress listener bound on the node's
// address (0.0.0.0 inside a bridge namespace, where the node forwards its
// host port) so that callers outside the mesh reach it. The gateway dials
// with the identity of its own service, so intentions name the gateway.
//
// With Consul as the mesh, every destination is in Consul's one namespace.
func gatewayBaseConfig(b *ConfigBuilder, bridge bool, svc *structs.Service, ns string, viaConsul bool) structs.MeshProxyConfig {
	gw := svc.Connect.Gateway
	c := b.assumedIdentity(ns, svc.Name)
	c.Gateway, c.Protocol = structs.MeshGatewayIngress, "tcp"
	timeout := defaultConnectTimeout
	if gw.Proxy != nil && gw.Proxy.ConnectTimeout > 0 {
		timeout = gw.Proxy.ConnectTimeout
	}
	host := b.opts.NodeAddr
	if bridge {
		host = "0.0.0.0"
	}
	for _, l := range gw.Ingress.Listeners {
		if l == nil || len(l.Services) != 1 || l.Services[0] == nil {
			continue // refused at validation
		}
		dest := l.Services[0]
		dns := dest.Namespace
		if dns == "" || viaConsul {
			dns = ns
		}
		c.Upstreams = append(c.Upstreams, &structs.MeshUpstreamConfig{
			DestinationNamespace: dns, DestinationName: dest.Name,
			LocalBindAddr: net.JoinHostPort(host, strconv.Itoa(l.Port)),
			Protocol:      l.ProtocolOrDefault(), ConnectTimeout: timeout,
		})
	}
	return c
}
