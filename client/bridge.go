package client

import (
	"fmt"

	"github.com/appmesh/appmesh/client/bridgenet"
	"github.com/appmesh/appmesh/drivers/docker"
)

// setupBridge prepares bridge networking for network mode "bridge". The
// kernel is touched only when the first such allocation arrives, so a
// client that never runs one changes nothing on its host. Mapped ports
// listen on the node's service address, where the catalog points callers.
func (c *Client) setupBridge() error {
	host := c.cfg.ServiceAddress
	if host == "" {
		host = "127.0.0.1"
	}
	m, err := bridgenet.New(bridgenet.Config{StateDir: c.cfg.DataDir, HostIP: host, Logger: c.logger,
		BridgeName: c.cfg.BridgeName, Subnet: c.cfg.BridgeSubnet, DisableNAT: c.cfg.BridgeNoNAT,
		Sandbox: docker.NewPause(), AgentAddr: c.cfg.HTTPAddr})
	if err != nil {
		if c.cfg.BridgeName != "" || c.cfg.BridgeSubnet != "" {
			// The operator asked for these settings: say so at start.
			return fmt.Errorf("client bridge_network_name/bridge_network_subnet: %w", err)
		}
		c.logger.Warn("bridge networking unavailable; allocations with network mode \"bridge\" will fail", "error", err)
		return nil
	}
	c.bridge = m
	return nil
}

// sweepBridge removes the bridge networks of allocations that were not
// restored (collected while the agent was down). It runs after restore,
// when every allocation this client still runs has its runner.
func (c *Client) sweepBridge() {
	if c.bridge == nil {
		return
	}
	c.bridge.Sweep(func(id string) bool {
		c.allocMu.Lock()
		defer c.allocMu.Unlock()
		_, ok := c.allocs[id]
		return ok
	})
}
