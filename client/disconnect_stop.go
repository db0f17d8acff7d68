package client

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/client/allocrunner"
)

// disconnectWatch stops, once a second, the allocations whose group asks
// the client to stop them after it has not reached the servers for a
// while (stop_after_client_disconnect, disconnect.stop_on_client_after).
// The servers meanwhile mark them lost and place replacements; stopping
// here keeps the old copy from running on next to them.
func (c *Client) disconnectWatch() {
	defer c.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			c.stopDisconnected(now)
		}
	}
}

func (c *Client) stopDisconnected(now time.Time) {
	last := c.lastContact.Load()
	if last == 0 {
		return // never reached the servers: nothing was placed by them yet
	}
	away := now.Sub(time.Unix(0, last))
	var stop []*allocrunner.AllocRunner
	c.allocMu.RLock()
	for _, ar := range c.allocs {
		if d := ar.StopOnClientAfter(); d > 0 && away >= d && !ar.Killed() {
			stop = append(stop, ar)
		}
	}
	c.allocMu.RUnlock()
	for _, ar := range stop {
		d := ar.StopOnClientAfter()
		c.logger.Warn("stopping an allocation: the servers have not been reached for longer than its stop_after_client_disconnect",
			"alloc_id", ar.ID(), "away", away.Round(time.Second), "limit", d)
		ar.Kill(fmt.Sprintf("the client has not reached the servers for %s (stop_after_client_disconnect %s)", away.Round(time.Second), d))
	}
}
