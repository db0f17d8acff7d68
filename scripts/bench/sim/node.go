package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// blockingWait is how long one allocation watch may block on the server.
const blockingWait = 5 * time.Minute

// sim is the shared part of all simulated nodes: the connection pools, the
// servers' RPC addresses, the acknowledgement batcher and the counters.
type sim struct {
	ctx context.Context
	// local, with -inproc, are the servers the nodes call in-process.
	local   []*server.Server
	pools   []*transport.Pool
	addrs   []string
	task    string
	ackMode string // "global" or "node"
	acker   *acker
	// ackOwner maps an allocation waiting in the acker to its node, whose
	// secret the -ack=global call for it must carry.
	ackOwner sync.Map
	tracker  *jobTracker

	running     atomic.Int64 // allocations acknowledged running
	lastRunning atomic.Int64 // unix nanos of the last acknowledgement
	fetched     atomic.Int64 // Alloc.GetAlloc calls
	watches     atomic.Int64 // Node.GetClientAllocs answers
	heartbeats  atomic.Int64
	ackCalls    atomic.Int64 // Node.UpdateAlloc calls
	rpcErrors   atomic.Int64
	errOnce     sync.Once
	firstErr    atomic.Value // string: the first RPC error, for the report
}

// simNode is one simulated client: it registers, heartbeats at its TTL,
// watches its allocations with blocking queries, fetches new ones and
// acknowledges them as running at once. It runs no tasks.
type simNode struct {
	s     *sim
	node  *structs.Node
	pool  *transport.Pool
	addr  atomic.Int64 // index in s.addrs, rotated on network errors
	known map[string]uint64
	// secret is the node secret the servers check on its calls.
	secret string
}

func newSimNode(s *sim, i int) *simNode {
	name := fmt.Sprintf("sim-%05d", i)
	n := &simNode{
		s:    s,
		pool: s.pools[i%len(s.pools)],
		node: &structs.Node{
			ID:         structs.GenerateID(),
			Name:       name,
			Datacenter: structs.DefaultDatacenter,
			Attributes: map[string]string{
				"kernel.name": "linux", "os.name": "ubuntu", "os.version": "24.04",
				"cpu.arch": "amd64", "cpu.cores": "8", "unique.hostname": name,
				"unique.network.ip-address": fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
			},
			Meta:                  map[string]string{"rack": fmt.Sprintf("r%02d", i%25)},
			Resources:             &structs.NodeResources{CPU: 32000, Cores: 8, MemoryMB: 65536, DiskMB: 100000},
			Drivers:               map[string]*structs.DriverInfo{"mock": {Detected: true, Healthy: true}},
			SchedulingEligibility: structs.NodeEligible,
		},
		known:  map[string]uint64{},
		secret: structs.GenerateID(),
	}
	n.addr.Store(int64(i % len(s.addrs)))
	return n
}

// rpc calls the node's current server. A network error moves the node to
// the next server; errors of the endpoint are returned as they are.
func (n *simNode) rpc(timeout time.Duration, method string, args, reply any) error {
	ctx, cancel := context.WithTimeout(n.s.ctx, timeout)
	defer cancel()
	cur := n.addr.Load()
	err := n.s.call(ctx, n.pool, int(cur), method, args, reply)
	if err != nil && n.s.ctx.Err() == nil {
		n.s.rpcErrors.Add(1)
		n.s.errOnce.Do(func() { n.s.firstErr.Store(fmt.Sprintf("%s: %v", method, err)) })
		if !transport.IsServerError(err) {
			n.addr.CompareAndSwap(cur, (cur+1)%int64(len(n.s.addrs)))
		}
	}
	return err
}

// register registers the node, retrying until it succeeds or the run ends.
func (n *simNode) register() (time.Duration, error) {
	for {
		var resp structs.NodeUpdateResponse
		err := n.rpc(30*time.Second, structs.NodeRegisterRPC, &structs.NodeRegisterRequest{Node: n.node, SecretID: n.secret}, &resp)
		if err == nil {
			return resp.HeartbeatTTL, nil
		}
		if !ctxsleep.Sleep(n.s.ctx, 200*time.Millisecond) {
			return 0, n.s.ctx.Err()
		}
	}
}

// heartbeatLoop heartbeats at about half the TTL (±10%), as the real
// client does, re-registering when the servers forgot the node.
func (n *simNode) heartbeatLoop(ttl time.Duration) {
	for {
		if !ctxsleep.Sleep(n.s.ctx, heartbeatInterval(ttl)) {
			return
		}
		var resp structs.NodeUpdateResponse
		err := n.rpc(30*time.Second, structs.NodeHeartbeatRPC,
			&structs.NodeHeartbeatRequest{NodeID: n.node.ID, Status: structs.NodeStatusReady, SecretID: n.secret}, &resp)
		switch {
		case err == nil:
			n.s.heartbeats.Add(1)
			ttl = resp.HeartbeatTTL
		case structs.IsNotFound(err):
			if ttl, err = n.register(); err != nil {
				return
			}
		default:
			ttl = 2 * time.Second // retry soon
		}
	}
}

func heartbeatInterval(ttl time.Duration) time.Duration {
	if ttl <= 0 {
		ttl = structs.DefaultHeartbeatTTL
	}
	half := ttl / 2
	return half - half/10 + time.Duration(rand.Int64N(int64(half/5)+1))
}

// watchLoop holds a blocking Node.GetClientAllocs query and handles every
// answer: new or changed allocations are fetched with Alloc.GetAlloc and
// acknowledged as running.
func (n *simNode) watchLoop() {
	var index uint64
	for n.s.ctx.Err() == nil {
		req := &structs.NodeSpecificRequest{
			NodeID:       n.node.ID,
			SecretID:     n.secret,
			QueryOptions: structs.QueryOptions{MinQueryIndex: index, MaxQueryTime: blockingWait},
		}
		var resp structs.NodeClientAllocsResponse
		err := n.rpc(blockingWait+time.Minute, structs.NodeGetClientAllocs, req, &resp)
		if err != nil {
			ctxsleep.Sleep(n.s.ctx, 250*time.Millisecond)
			continue
		}
		n.s.watches.Add(1)
		if resp.Index == index {
			continue
		}
		seen := time.Now()
		var acks []*structs.AllocStatusUpdate
		ok := true
		var want []string
		for id, mi := range resp.Allocs {
			if n.known[id] < mi {
				want = append(want, id)
			}
		}
		// One batch call, as the real client does (Alloc.GetAllocs).
		var fetched []*structs.Allocation
		for len(want) > 0 {
			k := min(len(want), structs.MaxAllocsPerFetch)
			var ar structs.AllocsGetResponse
			if err := n.rpc(30*time.Second, structs.AllocGetAllocsRPC, &structs.AllocsGetRequest{AllocIDs: want[:k]}, &ar); err != nil {
				ok = false // retried with the next answer (index not advanced)
			} else {
				fetched = append(fetched, ar.Allocs...)
				// A server behind the one that listed them (a leader
				// change between the calls) answers without some: keep
				// the index so that the next answer lists them again, as
				// the real client does.
				if len(ar.Allocs) < k {
					ok = false
				}
			}
			want = want[k:]
		}
		for _, a := range fetched {
			id := a.ID
			n.s.fetched.Add(1)
			first := n.known[id] == 0
			n.known[id] = a.AllocModifyIndex
			if first {
				n.s.tracker.placed(a.JobID, seen)
			}
			if a.DesiredStatus == structs.AllocDesiredRun && a.ClientStatus == structs.AllocClientPending {
				acks = append(acks, runningUpdate(a.ID, n.s.task, time.Now()))
			}
		}
		if resp.Full { // otherwise the answer lists only changes
			for id := range n.known {
				if _, ok := resp.Allocs[id]; !ok {
					delete(n.known, id)
				}
			}
		}
		n.ack(acks)
		if ok {
			index = resp.Index
		} else {
			ctxsleep.Sleep(n.s.ctx, 250*time.Millisecond)
		}
	}
}

// ack hands acknowledgements to the shared batcher, or with -ack=node
// sends them in one call of this node (in the background, so that the
// watch goes on, as the real client's updater does).
func (n *simNode) ack(ups []*structs.AllocStatusUpdate) {
	if len(ups) == 0 {
		return
	}
	if n.s.ackMode == "global" {
		for _, u := range ups {
			n.s.ackOwner.Store(u.ID, n)
		}
		n.s.acker.put(ups...)
		return
	}
	go func() {
		for n.s.ctx.Err() == nil {
			var resp structs.GenericResponse
			err := n.rpc(30*time.Second, structs.NodeUpdateAllocRPC,
				&structs.AllocUpdateRequest{Allocs: ups, NodeID: n.node.ID, SecretID: n.secret}, &resp)
			if err == nil {
				n.s.ackCalls.Add(1)
				n.s.acked(len(ups))
				return
			}
			ctxsleep.Sleep(n.s.ctx, 250*time.Millisecond)
		}
	}()
}

// acked counts delivered acknowledgements.
func (s *sim) acked(k int) {
	s.running.Add(int64(k))
	s.lastRunning.Store(time.Now().UnixNano())
}

// sendGlobal is the acker's transport: a batch gathered across nodes goes
// out as one Node.UpdateAlloc call per node in it, each with that node's
// secret (servers refuse updates for allocations of another node), over
// the first pool, to the servers in turn. A failed batch is sent again
// whole; updates are idempotent.
func (s *sim) sendGlobal(ctx context.Context, batch []*structs.AllocStatusUpdate) error {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	byNode := map[*simNode][]*structs.AllocStatusUpdate{}
	for _, u := range batch {
		owner, ok := s.ackOwner.Load(u.ID)
		if !ok {
			continue // already delivered by an earlier try of this batch
		}
		n := owner.(*simNode)
		byNode[n] = append(byNode[n], u)
	}
	for n, ups := range byNode {
		target := int(s.ackCalls.Load()) % len(s.addrs)
		var resp structs.GenericResponse
		err := s.call(cctx, s.pools[0], target, structs.NodeUpdateAllocRPC,
			&structs.AllocUpdateRequest{Allocs: ups, NodeID: n.node.ID, SecretID: n.secret}, &resp)
		if err != nil {
			return err
		}
		s.ackCalls.Add(1)
		for _, u := range ups {
			s.ackOwner.Delete(u.ID)
		}
	}
	return nil
}

// startNodes registers n nodes (at most par at a time) and starts their
// heartbeat and watch loops. It returns once all are registered.
func (s *sim) startNodes(n, par int) ([]*simNode, error) {
	nodes := make([]*simNode, n)
	for i := range nodes {
		nodes[i] = newSimNode(s, i)
	}
	sem := make(chan struct{}, max(1, par))
	var wg sync.WaitGroup
	var failed atomic.Int64
	for _, nd := range nodes {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ttl, err := nd.register()
			<-sem
			if err != nil {
				failed.Add(1)
				return
			}
			go nd.heartbeatLoop(ttl)
			go nd.watchLoop()
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return nil, fmt.Errorf("%d node(s) could not register", f)
	}
	return nodes, nil
}
