package client

import (
	"github.com/appmesh/appmesh/client/catalog"
)

// setupCatalog starts the node's side of the built-in service catalog and
// puts it, with the Consul integration when there is one, behind the one
// ServiceRegistrar the runners use.
func (c *Client) setupCatalog() {
	addr := c.cfg.ServiceAddress
	if addr == "" {
		addr = "127.0.0.1"
	}
	c.catalog = catalog.New(catalog.Config{
		RPC: c.rpc, NodeID: c.nodeID, SecretID: c.secretID, Address: addr, Logger: c.logger,
	})
	c.cfg.Services = catalog.NewRouter(c.cfg.Services, c.catalog)
}

// ServiceCatalog is the node's side of the built-in service catalog; its
// Lookup finds services (templates use it).
func (c *Client) ServiceCatalog() *catalog.Registrar { return c.catalog }
