package consul

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// NodeStatus is the value of <kv_prefix>/cluster/nodes/<node>.
type NodeStatus struct {
	Name       string            `json:"name"`
	ID         string            `json:"id,omitempty"`
	Datacenter string            `json:"datacenter"`
	Address    string            `json:"address"` // the agent's HTTP address
	Server     bool              `json:"server"`
	Client     bool              `json:"client"`
	Leader     bool              `json:"leader"`
	Labels     map[string]string `json:"labels,omitempty"`     // node meta
	Attributes map[string]string `json:"attributes,omitempty"` // fingerprint
	Resources  any               `json:"resources,omitempty"`
	Version    string            `json:"version,omitempty"`
}

// NodePublisher keeps the node's status under a key held by a Consul
// session with a TTL and the delete behaviour: when the agent dies and
// stops renewing, Consul deletes the key.
type NodePublisher struct {
	API    *api.Client
	Key    string        // <kv_prefix>/cluster/nodes/<node>
	TTL    time.Duration // session TTL, 10s..24h
	Status func() *NodeStatus
	Logger hclog.Logger

	session string
	last    []byte
	down    bool
}

// Run publishes until ctx ends, then destroys the session (which deletes
// the key). The session is renewed every TTL/3 and the value rewritten
// when it changed; a lost session is created again.
func (p *NodePublisher) Run(ctx context.Context) {
	if p.Logger == nil {
		p.Logger = hclog.NewNullLogger()
	}
	tick := p.TTL / 3
	backoff := minBackoff
	for {
		wait := tick
		if err := p.sync(ctx); err != nil {
			if !p.down {
				p.Logger.Warn("cannot publish node status to consul; retrying", "key", p.Key, "error", err)
				p.down = true
			}
			wait, backoff = backoff, min(2*backoff, tick)
		} else {
			if p.down {
				p.Logger.Info("node status published to consul again", "key", p.Key)
			}
			p.down, backoff = false, minBackoff
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			p.destroy()
			return
		case <-t.C:
		}
	}
}

// sync renews (or creates) the session and writes the value if needed.
func (p *NodePublisher) sync(ctx context.Context) error {
	wopts := (&api.WriteOptions{}).WithContext(ctx)
	fresh := false
	if p.session != "" {
		se, _, err := p.API.Session().Renew(p.session, wopts)
		if err != nil {
			return fmt.Errorf("renew session: %w", err)
		}
		if se == nil { // destroyed or expired: the key is gone
			p.session = ""
		}
	}
	if p.session == "" {
		id, _, err := p.API.Session().Create(&api.SessionEntry{
			Name: "appmesh node " + p.Key, TTL: p.TTL.String(), Behavior: api.SessionBehaviorDelete,
			LockDelay: time.Millisecond, Checks: []string{}, NodeChecks: []string{},
		}, wopts)
		if err != nil {
			return fmt.Errorf("create session: %w", err)
		}
		p.session, fresh = id, true
	}
	val, err := json.Marshal(p.Status())
	if err != nil {
		return fmt.Errorf("encode node status: %w", err)
	}
	if !fresh && bytes.Equal(val, p.last) {
		return nil
	}
	ok, _, err := p.API.KV().Acquire(&api.KVPair{Key: p.Key, Value: val, Session: p.session}, wopts)
	if err != nil {
		return fmt.Errorf("write %s: %w", p.Key, err)
	}
	if !ok {
		// Another session (an earlier run of this node) still holds the
		// key; it goes when that session expires.
		return fmt.Errorf("write %s: key held by another session", p.Key)
	}
	p.last = val
	return nil
}

// destroy ends the session, deleting the key at once.
func (p *NodePublisher) destroy() {
	if p.session == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	if _, err := p.API.Session().Destroy(p.session, (&api.WriteOptions{}).WithContext(ctx)); err != nil {
		p.Logger.Debug("destroy consul session", "error", err)
	}
	p.session = ""
}
