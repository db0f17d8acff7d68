package structs

import (
	"strings"
	"time"
)

// Node statuses.
const (
	NodeStatusInit  = "initializing"
	NodeStatusReady = "ready"
	NodeStatusDown  = "down"
)

// Scheduling eligibility of a node.
const (
	NodeEligible   = "eligible"
	NodeIneligible = "ineligible"
)

// DefaultHeartbeatTTL is how long a node may stay silent before the servers
// mark it down (phase 1: fixed; later scaled with the cluster size).
const DefaultHeartbeatTTL = 10 * time.Second

// Node is a client machine that runs allocations.
type Node struct {
	ID         string                 `json:"id"`
	Name       string                 `json:"name"`
	Datacenter string                 `json:"datacenter"`
	HTTPAddr   string                 `json:"http_addr,omitempty"`
	Attributes map[string]string      `json:"attributes,omitempty"`
	Meta       map[string]string      `json:"meta,omitempty"`
	Resources  *NodeResources         `json:"resources,omitempty"`
	Reserved   *Resources             `json:"reserved,omitempty"`
	Drivers    map[string]*DriverInfo `json:"drivers,omitempty"`
	// HostVolumes are the directories the client offers to jobs, by name
	// (agent config host_volume blocks).
	HostVolumes           map[string]*ClientHostVolume `json:"host_volumes,omitempty"`
	Status                string                       `json:"status"`
	StatusDescription     string                       `json:"status_description,omitempty"`
	SchedulingEligibility string                       `json:"scheduling_eligibility"`
	DrainStrategy         *DrainStrategy               `json:"drain_strategy,omitempty"`
	StatusUpdatedAt       int64                        `json:"status_updated_at,omitempty"`
	CreateIndex           uint64                       `json:"create_index,omitempty"`
	ModifyIndex           uint64                       `json:"modify_index,omitempty"`
	// SecretHash is HashSecret of the node's secret, recorded by the
	// servers at the node's first registration (trust on first use). The
	// client proves the secret on every node-scoped call. It lives in
	// Raft and snapshots only: API answers carry Sanitize's copy.
	SecretHash string `json:"secret_hash,omitempty"`
}

// Sanitize returns a copy without the secret hash, for API answers.
func (n *Node) Sanitize() *Node {
	if n == nil || n.SecretHash == "" {
		return n
	}
	c := *n
	c.SecretHash = ""
	return &c
}

// DriverInfo is a driver's fingerprint on a node.
type DriverInfo struct {
	Detected          bool              `json:"detected"`
	Healthy           bool              `json:"healthy"`
	HealthDescription string            `json:"health_description,omitempty"`
	Attributes        map[string]string `json:"attributes,omitempty"`
	// ConfigKeys and ConfigRequired are the driver's task `config` keys as
	// its fingerprint gave them (none: unknown), for checks before placement.
	ConfigKeys     []string `json:"config_keys,omitempty"`
	ConfigRequired []string `json:"config_required,omitempty"`
}

// Ready reports whether the node can receive new allocations.
func (n *Node) Ready() bool {
	return n.Status == NodeStatusReady && n.SchedulingEligibility != NodeIneligible
}

// Available returns the capacity left for allocations (total - reserved).
func (n *Node) Available() *Resources {
	r := n.Resources.Comparable()
	r.Subtract(n.Reserved)
	return r
}

// Copy returns a deep copy.
func (n *Node) Copy() *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Attributes = copyStringMap(n.Attributes)
	c.Meta = copyStringMap(n.Meta)
	if n.Resources != nil {
		r := *n.Resources
		c.Resources = &r
	}
	if n.Reserved != nil {
		r := *n.Reserved
		c.Reserved = &r
	}
	if n.HostVolumes != nil {
		c.HostVolumes = make(map[string]*ClientHostVolume, len(n.HostVolumes))
		for k, v := range n.HostVolumes {
			if v == nil {
				continue
			}
			vc := *v
			c.HostVolumes[k] = &vc
		}
	}
	if n.DrainStrategy != nil {
		d := *n.DrainStrategy
		c.DrainStrategy = &d
	}
	if n.Drivers != nil {
		c.Drivers = make(map[string]*DriverInfo, len(n.Drivers))
		for k, d := range n.Drivers {
			dc := *d
			dc.Attributes = copyStringMap(d.Attributes)
			c.Drivers[k] = &dc
		}
	}
	return &c
}

// NodeListStub is the summary returned when listing nodes.
type NodeListStub struct {
	ID                    string                 `json:"id"`
	Name                  string                 `json:"name"`
	Datacenter            string                 `json:"datacenter"`
	HTTPAddr              string                 `json:"http_addr,omitempty"`
	Status                string                 `json:"status"`
	StatusDescription     string                 `json:"status_description,omitempty"`
	SchedulingEligibility string                 `json:"scheduling_eligibility"`
	Drain                 bool                   `json:"drain"`
	Drivers               map[string]*DriverInfo `json:"drivers,omitempty"`
	CreateIndex           uint64                 `json:"create_index"`
	ModifyIndex           uint64                 `json:"modify_index"`
}

// Stub returns the list form of the node.
func (n *Node) Stub() *NodeListStub {
	return &NodeListStub{
		ID: n.ID, Name: n.Name, Datacenter: n.Datacenter, HTTPAddr: n.HTTPAddr,
		Status: n.Status, StatusDescription: n.StatusDescription,
		SchedulingEligibility: n.SchedulingEligibility, Drain: n.DrainStrategy != nil, Drivers: n.Drivers,
		CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex,
	}
}

// Variable resolves a node variable as constraints and templates name it:
// node.unique.id, node.unique.name, node.datacenter, attr.<name> and
// meta.<name>. found is false for an unknown name or a missing attribute
// or meta key (which differs from an empty value for is_set and !=).
func (n *Node) Variable(name string) (value string, found bool) {
	switch name {
	case "node.unique.id":
		return n.ID, true
	case "node.unique.name":
		return n.Name, true
	case "node.datacenter":
		return n.Datacenter, true
	}
	if k, ok := strings.CutPrefix(name, "attr."); ok {
		v, found := n.Attributes[k]
		return v, found
	}
	if k, ok := strings.CutPrefix(name, "meta."); ok {
		v, found := n.Meta[k]
		return v, found
	}
	return "", false
}
