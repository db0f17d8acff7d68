package client

import (
	"sync"
	"time"
)

// beatStatus remembers how the last registration or heartbeat went, for
// the agent's health endpoint.
type beatStatus struct {
	mu     sync.Mutex
	at     time.Time
	failed bool
}

func (b *beatStatus) record(err error) {
	b.mu.Lock()
	b.at, b.failed = time.Now(), err != nil
	b.mu.Unlock()
}

// Health reports whether the client is registered with the servers and its
// last heartbeat got through. The reason is short and names no address or
// error detail: the health endpoint answers anyone.
func (c *Client) Health() (ok bool, reason string) {
	select {
	case <-c.registered:
	default:
		return false, "not registered with the servers yet"
	}
	c.beat.mu.Lock()
	failed := c.beat.failed
	c.beat.mu.Unlock()
	if failed {
		return false, "the last heartbeat did not reach the servers"
	}
	return true, ""
}
