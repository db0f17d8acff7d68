package server

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/appmesh/appmesh/transport"
)

// serviceFixture is a server with ACLs on, two nodes and a job of two
// allocations, one on each node.
type serviceFixture struct {
	s      *Server
	mgmt   string
	nodes  map[string]*structs.Node // by node ID
	allocs []*structs.AllocListStub
}

func newServiceFixture(t *testing.T) *serviceFixture {
	s := testServer(t, func(c *Config) { c.ACLEnabled = true })
	waitLeader(t, s)
	tok, err := bootstrap(t, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := &serviceFixture{s: s, mgmt: tok.SecretID, nodes: map[string]*structs.Node{}}
	for _, name := range []string{"n1", "n2"} {
		n := testNode(name, 1000, 1024)
		registerNode(t, s, n)
		f.nodes[n.ID] = n
	}
	job := testJob("web", 2, 600) // 600 MB each: one per node
	req := &structs.JobRegisterRequest{Job: job}
	req.AuthToken = f.mgmt
	if err := s.RPC(structs.JobRegisterRPC, req, &structs.JobRegisterResponse{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two allocations placed", func() bool {
		q := &structs.JobSpecificRequest{JobID: "web"}
		q.AuthToken = f.mgmt
		var reply structs.JobAllocationsResponse
		if err := s.RPC(structs.JobAllocationsRPC, q, &reply); err != nil {
			t.Fatal(err)
		}
		f.allocs = reply.Allocations
		return liveAllocs(f.allocs) == 2
	})
	return f
}

func (f *serviceFixture) reg(a *structs.AllocListStub, status string) *structs.ServiceRegistration {
	return &structs.ServiceRegistration{ID: "_appmesh-" + a.ID + "-task-server~api", ServiceName: "api",
		AllocID: a.ID, Task: "server", Tags: []string{"v1"}, Address: "127.0.0.1", Port: 9000, Status: status,
		// A client cannot choose these: the server fills them from the
		// allocation and the node.
		Namespace: "elsewhere", JobID: "not-web", NodeID: "someone-else"}
}

func (f *serviceFixture) upsert(nodeID, secret string, regs []*structs.ServiceRegistration, deletes ...string) error {
	req := &structs.ServiceUpsertRequest{Services: regs, Deletes: deletes, NodeID: nodeID, SecretID: secret}
	return f.s.RPC(structs.ServiceUpsertRPC, req, &structs.GenericResponse{})
}

func (f *serviceFixture) get(t *testing.T, token string, all bool, minIndex uint64) (*structs.ServiceGetResponse, error) {
	t.Helper()
	req := &structs.ServiceGetRequest{ServiceName: "api", All: all}
	req.AuthToken, req.MinQueryIndex, req.MaxQueryTime = token, minIndex, 20*time.Second
	var out structs.ServiceGetResponse
	err := f.s.RPC(structs.ServiceGetRPC, req, &out)
	return &out, err
}

// TestServiceRegistrationEndpoint: a node registers only its own
// allocations' instances, with the server's namespace and job; reads need
// read-job, see passing instances by default and block until a change;
// deletion needs submit-job; an allocation that ends leaves the catalog.
func TestServiceRegistrationEndpoint(t *testing.T) {
	f := newServiceFixture(t)
	a0, a1 := f.allocs[0], f.allocs[1]
	n0, n1 := a0.NodeID, a1.NodeID

	// Wrong secret, and another node's allocation: refused, nothing written.
	if err := f.upsert(n0, "bogus", []*structs.ServiceRegistration{f.reg(a0, structs.ServiceStatusPassing)}); err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("upsert with a wrong secret: %v", err)
	}
	if err := f.upsert(n0, testSecret(n0), []*structs.ServiceRegistration{f.reg(a1, structs.ServiceStatusPassing)}); err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("upsert of another node's allocation: %v", err)
	}
	bad := f.reg(a0, "fine")
	if err := f.upsert(n0, testSecret(n0), []*structs.ServiceRegistration{bad}); err == nil || !strings.Contains(err.Error(), `status "fine" is invalid`) {
		t.Fatalf("upsert with a bad status: %v", err)
	}
	if regs, _ := f.s.State().ServiceRegistrations(nil, ""); len(regs) != 0 {
		t.Fatalf("refused upserts wrote %d registrations", len(regs))
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.upsert(n0, testSecret(n0), []*structs.ServiceRegistration{f.reg(a0, structs.ServiceStatusPassing)}))
	must(f.upsert(n1, testSecret(n1), []*structs.ServiceRegistration{f.reg(a1, structs.ServiceStatusCritical)}))

	reader := clientToken(t, f.s, f.mgmt, "reader", `namespace "default" { policy = "read" }`, 0)
	other := clientToken(t, f.s, f.mgmt, "other", `namespace "other" { policy = "write" }`, 0)

	got, err := f.get(t, reader, false, 0)
	must(err)
	if len(got.Instances) != 1 || got.Instances[0].AllocID != a0.ID {
		t.Fatalf("passing instances: %+v", got.Instances)
	}
	in := got.Instances[0]
	if in.Namespace != "default" || in.JobID != "web" || in.NodeID != n0 || in.Datacenter != "dc1" || in.Port != 9000 {
		t.Fatalf("the server did not fill in the instance's owner: %+v", in)
	}
	all, err := f.get(t, reader, true, 0)
	must(err)
	if len(all.Instances) != 2 {
		t.Fatalf("all instances: %d, want 2", len(all.Instances))
	}
	if _, err := f.get(t, other, false, 0); err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("read with another namespace's token: %v", err)
	}
	star := &structs.ServiceGetRequest{ServiceName: "api"}
	star.AuthToken, star.Namespace = f.mgmt, "*"
	if err := f.s.RPC(structs.ServiceGetRPC, star, &structs.ServiceGetResponse{}); !structs.IsValidation(err) {
		t.Fatalf("lookup in namespace *: %v, want a validation error", err)
	}

	// The list: per service, with tags and counts; "*" is filtered.
	list := &structs.ServiceListRequest{}
	list.AuthToken = reader
	var lout structs.ServiceListResponse
	must(f.s.RPC(structs.ServiceListRPC, list, &lout))
	if len(lout.Services) != 1 || lout.Services[0].Instances != 2 || lout.Services[0].Passing != 1 || lout.Services[0].Tags[0] != "v1" {
		t.Fatalf("list: %+v", lout.Services)
	}
	list.AuthToken, list.Namespace = other, "*"
	must(f.s.RPC(structs.ServiceListRPC, list, &lout))
	if len(lout.Services) != 0 {
		t.Fatalf("another namespace's token lists %+v", lout.Services)
	}

	// A blocking read wakes when a1 turns passing.
	type result struct {
		out *structs.ServiceGetResponse
		err error
	}
	woke := make(chan result, 1)
	go func() {
		out, err := f.get(t, reader, false, got.Index)
		woke <- result{out, err}
	}()
	must(f.upsert(n1, testSecret(n1), []*structs.ServiceRegistration{f.reg(a1, structs.ServiceStatusPassing)}))
	select {
	case r := <-woke:
		must(r.err)
		if len(r.out.Instances) != 2 || r.out.Index <= got.Index {
			t.Fatalf("blocking read woke with %d instances at index %d (was %d)", len(r.out.Instances), r.out.Index, got.Index)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the blocking read did not wake on a status change")
	}

	// Delete: submit-job needed; a wrong name is not found.
	del := &structs.ServiceDeleteRequest{ServiceName: "api", ID: f.reg(a1, "").ID}
	del.AuthToken = reader
	if err := f.s.RPC(structs.ServiceDeleteRPC, del, &structs.GenericResponse{}); err == nil || !strings.Contains(err.Error(), "Permission denied") {
		t.Fatalf("delete with a read token: %v", err)
	}
	del.AuthToken, del.ServiceName = f.mgmt, "db"
	if err := f.s.RPC(structs.ServiceDeleteRPC, del, &structs.GenericResponse{}); !structs.IsNotFound(err) {
		t.Fatalf("delete under the wrong service name: %v", err)
	}
	del.ServiceName = "api"
	must(f.s.RPC(structs.ServiceDeleteRPC, del, &structs.GenericResponse{}))

	// a0 completes (reported by its node): its instance leaves.
	upd := &structs.AllocUpdateRequest{NodeID: n0, SecretID: testSecret(n0), Allocs: []*structs.AllocStatusUpdate{
		{ID: a0.ID, ClientStatus: structs.AllocClientComplete, ModifyTime: time.Now().UnixNano()}}}
	must(f.s.RPC(structs.NodeUpdateAllocRPC, upd, &structs.GenericResponse{}))
	if regs, _ := f.s.State().ServiceRegistrations(nil, ""); len(regs) != 0 {
		t.Fatalf("after a1's deletion and a0's end the catalog holds %d instances", len(regs))
	}
	// The Service topic of the event stream told all of it.
	es, err := f.s.OpenEventStream(&transport.EventsRequest{Topics: []string{"Service:api"}, Index: 1, AuthToken: reader})
	must(err)
	var buf bytes.Buffer
	must(es.Run(context.Background(), &buf, func() {}))
	ev := buf.String()
	if strings.Count(ev, `"type":"ServiceRegistered"`) != 3 || strings.Count(ev, `"type":"ServiceDeregistered"`) != 2 ||
		!strings.Contains(ev, `"topic":"Service"`) {
		t.Errorf("Service events: want 3 registrations (a0, a1 critical, a1 passing) and 2 removals:\n%s", ev)
	}
	// A late registration for the ended allocation is dropped quietly.
	must(f.upsert(n0, testSecret(n0), []*structs.ServiceRegistration{f.reg(a0, structs.ServiceStatusPassing)}))
	if regs, _ := f.s.State().ServiceRegistrations(nil, ""); len(regs) != 0 {
		t.Fatalf("a late registration of an ended allocation was stored")
	}
}

// TestServiceRegistrationGoneWithSilentNode: when a node stops
// heartbeating and is marked down, its instances leave the catalog with
// no word from its client.
func TestServiceRegistrationGoneWithSilentNode(t *testing.T) {
	s := testServer(t, func(c *Config) { c.HeartbeatTTL = 300 * time.Millisecond })
	n1 := testNode("n1", 4000, 4096)
	registerNode(t, s, n1)
	// n1 heartbeats until its instance is in the catalog, then goes silent.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				var r structs.NodeUpdateResponse
				_ = s.RPC(structs.NodeHeartbeatRPC, &structs.NodeHeartbeatRequest{NodeID: n1.ID, SecretID: testSecret(n1.ID)}, &r)
			}
		}
	}()
	registerJob(t, s, testJob("web", 1, 128))
	waitFor(t, "placed on n1", func() bool { return liveAllocs(jobAllocs(t, s, "web")) == 1 })
	a := jobAllocs(t, s, "web")[0]
	reg := &structs.ServiceRegistration{ID: "_appmesh-" + a.ID + "-group-web~api", ServiceName: "api", AllocID: a.ID,
		Address: "127.0.0.1", Port: 9000, Status: structs.ServiceStatusPassing}
	req := &structs.ServiceUpsertRequest{Services: []*structs.ServiceRegistration{reg}, NodeID: n1.ID, SecretID: testSecret(n1.ID)}
	if err := s.RPC(structs.ServiceUpsertRPC, req, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.State().ServiceByName(nil, "default", "api"); len(got) != 1 {
		t.Fatalf("instance not registered: %d", len(got))
	}
	close(stop)
	<-done
	waitFor(t, "n1 down and its instance gone", func() bool {
		n, _ := s.State().NodeByID(nil, n1.ID)
		got, _ := s.State().ServiceByName(nil, "default", "api")
		return n.Status == structs.NodeStatusDown && len(got) == 0
	})
}

// TestServiceRegistrationReplicated: an instance registered through a
// follower (forwarded to the leader) is in every server's state, and a
// follower answers a stale lookup with it.
func TestServiceRegistrationReplicated(t *testing.T) {
	servers := testCluster(t, 3)
	_, followers := leaderOf(servers)
	via := followers[0]
	n1 := testNode("n1", 4000, 4096)
	registerNode(t, via, n1)
	registerJob(t, via, testJob("web", 1, 128))
	waitFor(t, "placed", func() bool { return liveAllocs(jobAllocs(t, via, "web")) == 1 })
	a := jobAllocs(t, via, "web")[0]
	reg := &structs.ServiceRegistration{ID: "_appmesh-" + a.ID + "-group-web~api", ServiceName: "api", AllocID: a.ID,
		Address: "127.0.0.1", Port: 9000, Status: structs.ServiceStatusPassing}
	req := &structs.ServiceUpsertRequest{Services: []*structs.ServiceRegistration{reg}, NodeID: n1.ID, SecretID: testSecret(n1.ID)}
	if err := via.RPC(structs.ServiceUpsertRPC, req, &structs.GenericResponse{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		waitFor(t, "the instance on "+s.config.NodeName, func() bool {
			got, _ := s.State().ServiceByName(nil, "default", "api")
			return len(got) == 1 && got[0].Port == 9000
		})
	}
	get := &structs.ServiceGetRequest{ServiceName: "api"}
	get.AllowStale = true
	var out structs.ServiceGetResponse
	if err := followers[1].RPC(structs.ServiceGetRPC, get, &out); err != nil || len(out.Instances) != 1 {
		t.Fatalf("stale lookup on a follower: %d instances, %v", len(out.Instances), err)
	}
}
