package agent

import (
	"context"
	"fmt"
	"maps"
	"net"
	"strconv"
	"sync"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/client/mesh"
	"github.com/appmesh/appmesh/client/taskrunner"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/version"
	"github.com/hashicorp/consul/api"
)

// consulAgent is the agent's side of the Consul integration: the service
// client (allocations' and the agent's own services), its reconcile loop
// and the node's status in KV.
type consulAgent struct {
	api      *api.Client
	services *consul.ServiceClient
	ids      []string // the agent's own service IDs
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	pubStop  context.CancelFunc
	pubDone  chan struct{}
}

// setupConsul creates the Consul client and starts the reconcile loop; it
// runs before the server and client are created, which use it.
func (a *Agent) setupConsul() error {
	cc := a.config.Consul
	if !cc.On() {
		return nil
	}
	reconcile, _, err := cc.durations()
	if err != nil {
		return err
	}
	acfg := consul.APIConfig{Address: cc.Address, Token: cc.Token}
	if t := cc.TLS; t != nil {
		acfg.TLS, acfg.CAFile, acfg.Cert, acfg.Key, acfg.InsecureSkipVerify = true, t.CAFile, t.CertFile, t.KeyFile, t.InsecureSkipVerify
	}
	client, err := consul.NewAPI(acfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ca := &consulAgent{api: client, cancel: cancel}
	ca.services = consul.NewServiceClient(consul.ServiceConfig{
		API: client, Node: a.config.Name, Address: a.config.advertiseIP(),
		ReconcileInterval: reconcile, Logger: a.logger, Connect: cc.Connect,
	})
	ca.wg.Add(1)
	go func() {
		defer ca.wg.Done()
		ca.services.Run(ctx)
	}()
	a.consul = ca
	a.logger.Info("consul integration enabled", "consul", cc.String())
	return nil
}

// consulMesh makes Consul the mesh of consul-provider services' proxies
// (`consul { connect = true }`), or is nil.
func (a *Agent) consulMesh() *mesh.ConsulMesh {
	if a.consul == nil || !a.config.Consul.Connect {
		return nil
	}
	return &mesh.ConsulMesh{API: a.consul.api}
}

// consulServer is the server's Consul configuration, or nil.
func (a *Agent) consulServer() *server.ConsulConfig {
	if a.consul == nil {
		return nil
	}
	cc := a.config.Consul
	return &server.ConsulConfig{API: a.consul.api, KVPrefix: cc.KVPrefix, WatchTasks: cc.WatchTasks, KVFormat: cc.KVFormat}
}

// startConsulAdvertise registers the agent's own services and starts the
// node status publisher, once the HTTP API is up.
func (a *Agent) startConsulAdvertise() error {
	ca := a.consul
	if ca == nil {
		return nil
	}
	cc := a.config.Consul
	if cc.Advertise() {
		for _, role := range a.roles() {
			reg := a.selfRegistration(role)
			if err := ca.services.RegisterAgentService(reg); err != nil {
				return fmt.Errorf("consul: register %s: %w", reg.Name, err)
			}
			ca.ids = append(ca.ids, reg.ID)
		}
	}
	_, ttl, _ := cc.durations()
	pub := &consul.NodePublisher{
		API: ca.api, Key: cc.KVPrefix + "/cluster/nodes/" + a.config.Name, TTL: ttl,
		Status: a.nodeStatus, Logger: a.logger.Named("consul"),
	}
	ctx, cancel := context.WithCancel(context.Background())
	ca.pubStop, ca.pubDone = cancel, make(chan struct{})
	go func() {
		defer close(ca.pubDone)
		pub.Run(ctx)
	}()
	return nil
}

func (a *Agent) roles() []string {
	var r []string
	if a.config.Server.Enabled {
		r = append(r, "server")
	}
	if a.config.Client.Enabled {
		r = append(r, "client")
	}
	return r
}

// selfRegistration is the agent's service for one role, checked through
// its own /v1/agent/self.
func (a *Agent) selfRegistration(role string) *api.AgentServiceRegistration {
	cfg := a.config
	checkHost := cfg.BindAddr
	if cfg.Consul.ChecksUseAdvertise || net.ParseIP(checkHost).IsUnspecified() {
		checkHost = cfg.advertiseIP()
	}
	port := cfg.Ports.HTTP
	if _, p, err := net.SplitHostPort(a.httpAddr); err == nil {
		port, _ = strconv.Atoi(p)
	}
	hostPort := net.JoinHostPort(checkHost, strconv.Itoa(port))
	return &api.AgentServiceRegistration{
		ID:      consul.IDPrefix + "agent-" + cfg.Name + "-" + role,
		Name:    "appmesh-" + role,
		Tags:    []string{"http"},
		Address: cfg.advertiseIP(),
		Port:    port,
		Meta:    map[string]string{"version": version.String(), "datacenter": cfg.Datacenter},
		Checks:  api.AgentServiceChecks{a.apiCheck(role, hostPort)},
	}
}

// apiCheck is Consul's check of the agent's API: an HTTP GET, over HTTPS
// with tls http on (the CA is the cluster's own, which Consul does not
// know), or a TCP connect when the API wants a client certificate.
func (a *Agent) apiCheck(role, hostPort string) *api.AgentServiceCheck {
	cfg := a.config
	c := &api.AgentServiceCheck{
		CheckID: consul.IDPrefix + "agent-" + cfg.Name + "-" + role + "-http",
		Name:    "appmesh " + role + " HTTP API", HTTP: "http://" + hostPort + "/v1/agent/self",
		Interval: "10s", Timeout: "2s",
	}
	if t := cfg.TLS; t != nil && t.HTTP {
		c.HTTP, c.TLSSkipVerify = "https://"+hostPort+"/v1/agent/self", true
		if t.VerifyHTTPSClient {
			c.HTTP, c.TLSSkipVerify, c.TCP = "", false, hostPort
		}
	}
	return c
}

// nodeStatus is the node's value in <kv_prefix>/cluster/nodes/<node>.
func (a *Agent) nodeStatus() *consul.NodeStatus {
	cfg := a.config
	st := &consul.NodeStatus{
		Name: cfg.Name, Datacenter: cfg.Datacenter, Version: version.String(),
		Address: net.JoinHostPort(cfg.advertiseIP(), strconv.Itoa(cfg.Ports.HTTP)),
		Server:  a.server != nil, Client: a.client != nil,
	}
	a.cfgMu.RLock()
	st.Labels = maps.Clone(cfg.Client.Meta)
	a.cfgMu.RUnlock()
	if a.server != nil {
		st.Leader = a.server.IsLeader()
	}
	if a.client != nil {
		n := a.client.Node()
		st.ID, st.Labels, st.Attributes, st.Resources = n.ID, n.Meta, n.Attributes, n.Resources
	}
	return st
}

// shutdownConsul removes the node key and the agent's services and stops
// the reconcile loop. Allocation services leave with their tasks (or stay
// with them when the agent detaches, for the next agent to take over).
func (a *Agent) shutdownConsul() {
	ca := a.consul
	if ca == nil {
		return
	}
	if ca.pubStop != nil {
		ca.pubStop()
		<-ca.pubDone
	}
	for _, id := range ca.ids {
		ca.services.RemoveAgentService(id)
	}
	ca.cancel()
	ca.wg.Wait()
}

// consulServices is what the client registers services with (a nil
// interface when Consul is off).
func (a *Agent) consulServices() taskrunner.ServiceRegistrar {
	if a.consul == nil {
		return nil
	}
	return a.consul.services
}
