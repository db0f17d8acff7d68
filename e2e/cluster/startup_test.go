package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// TestServerSurvivesRPCDuringStartup dials a starting server's RPC port
// the way a client agent does (client agents retry their -servers every few
// hundred milliseconds, so on a fleet's reboot they are there before the
// servers) and calls Node.Register from the moment the port opens. The
// server must answer with errors until it is ready, never crash.
func TestServerSurvivesRPCDuringStartup(t *testing.T) {
	c := newProcCluster(t)
	for round := 1; round <= 3; round++ {
		s := c.newServer("s"+string(rune('0'+round)), 1)
		pool := transport.NewPool(hclog.NewNullLogger())
		var (
			stop    = make(chan struct{})
			wg      sync.WaitGroup
			reached atomic.Int64 // calls that got an answer from the server
		)
		var stopOnce sync.Once
		halt := func() { stopOnce.Do(func() { close(stop); wg.Wait(); pool.Close() }) }
		t.Cleanup(halt)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Second)
					err := pool.RPC(ctx, s.rpcAddr(), "Node.Register", &structs.NodeRegisterRequest{}, &structs.NodeUpdateResponse{})
					cancel()
					if err == nil || transport.IsServerError(err) {
						reached.Add(1)
					} else {
						time.Sleep(200 * time.Microsecond)
					}
				}
			}()
		}
		s.launch()
		// Until the server has a leader (itself) or dies.
		deadline := time.Now().Add(waitTimeout)
		for s.alive() && time.Now().Before(deadline) {
			if l, err := s.api.leader(); err == nil && l == s.rpcAddr() {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Keep calling a little while after it is up.
		time.Sleep(300 * time.Millisecond)
		halt()
		if p := s.panicked(); p != "" || !s.alive() {
			t.Fatalf("round %d: server %s died while answering RPCs during its startup (%d calls reached it):\n%s",
				round, s.name, reached.Load(), p)
		}
		if l, err := s.api.leader(); err != nil || l != s.rpcAddr() {
			t.Fatalf("round %d: server %s did not become leader: %q %v", round, s.name, l, err)
		}
		if reached.Load() == 0 {
			t.Fatalf("round %d: no RPC call reached the server", round)
		}
		s.kill9()
	}
}
