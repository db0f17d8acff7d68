package api

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

func TestAgentMembersJoinForceLeave(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/agent/members":
			reply(w, "0", []*structs.ServerMember{{Name: "s1", Addr: "10.0.0.1:6062", Status: "alive", Leader: true}})
		case "/v1/agent/join":
			reply(w, "0", map[string]int{"num_joined": 2})
		case "/v1/agent/force-leave":
			reply(w, "0", map[string]uint64{"index": 9})
		default:
			http.NotFound(w, r)
		}
	})
	m, err := c.Agent().Members()
	if err != nil || len(m) != 1 || m[0].Name != "s1" || !m[0].Leader || m[0].Status != "alive" {
		t.Fatalf("members = %+v, %v", m, err)
	}
	if last.method != http.MethodGet || last.token != "s3cret" {
		t.Errorf("members request: %+v", last)
	}

	n, err := c.Agent().Join("10.0.0.2:6062", "10.0.0.3:6062")
	if err != nil || n != 2 {
		t.Fatalf("join = %d, %v", n, err)
	}
	if last.method != http.MethodPut || last.query != "address=10.0.0.2%3A6062&address=10.0.0.3%3A6062" {
		t.Errorf("join request: %s ?%s", last.method, last.query)
	}
	if _, err := c.Agent().Join(); err == nil {
		t.Error("join without addresses accepted")
	}

	if err := c.Agent().ForceLeave("s3"); err != nil {
		t.Fatal(err)
	}
	if last.method != http.MethodPut || last.escapedPath != "/v1/agent/force-leave" || last.query != "node=s3" {
		t.Errorf("force-leave request: %+v", last)
	}
	if err := c.Agent().ForceLeave(""); err == nil {
		t.Error("force-leave without a node accepted")
	}
}

func TestAgentErrorsCarryTheAgentMessage(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"server \"s9\": not found"}`))
	})
	err := c.Agent().ForceLeave("s9")
	if !IsNotFound(err) || !strings.Contains(err.Error(), `server "s9"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestOperatorRaft(t *testing.T) {
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/operator/raft/configuration" {
			reply(w, "0", &structs.RaftConfigurationResponse{Index: 5, Servers: []*structs.RaftPeer{
				{ID: "id1", Address: "10.0.0.1:6061", Node: "s1", Leader: true, Voter: true}}})
			return
		}
		reply(w, "0", map[string]uint64{"index": 7})
	})
	cfg, err := c.Operator().RaftGetConfiguration()
	if err != nil || cfg.Index != 5 || len(cfg.Servers) != 1 || cfg.Servers[0].ID != "id1" || !cfg.Servers[0].Voter {
		t.Fatalf("configuration = %+v, %v", cfg, err)
	}
	if _, err := c.Operator().RaftGetConfigurationOpts(&QueryOptions{AllowStale: true}); err != nil || last.query != "stale=true" {
		t.Fatalf("stale read: query %q, %v", last.query, err)
	}

	if err := c.Operator().RaftRemovePeerByAddress("10.0.0.2:6061"); err != nil {
		t.Fatal(err)
	}
	if last.method != http.MethodDelete || last.escapedPath != "/v1/operator/raft/peer" || last.query != "address=10.0.0.2%3A6061" {
		t.Errorf("remove by address: %+v", last)
	}
	if err := c.Operator().RaftRemovePeerByID("id2"); err != nil || last.query != "id=id2" {
		t.Errorf("remove by id: query %q, %v", last.query, err)
	}
	if c.Operator().RaftRemovePeerByID("") == nil || c.Operator().RaftRemovePeerByAddress("") == nil {
		t.Error("empty peer accepted")
	}
}

func TestOperatorSnapshotSave(t *testing.T) {
	const snap = SnapshotMagic + "v1 {}\n\x01\x02binary\x00"
	body := snap
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte(body))
	})
	var buf bytes.Buffer
	if err := c.Operator().SnapshotSave(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != snap || last.method != http.MethodGet || last.escapedPath != "/v1/operator/snapshot" {
		t.Fatalf("saved %q via %+v", buf.String(), last)
	}

	// An empty 200 (the agent failed before writing) or a foreign body must
	// not pass for a snapshot, and nothing may reach the writer.
	for _, bad := range []string{"", "<html>login</html>"} {
		body = bad
		buf.Reset()
		if err := c.Operator().SnapshotSave(context.Background(), &buf); err == nil || buf.Len() != 0 {
			t.Errorf("body %q: err %v, wrote %d bytes", bad, err, buf.Len())
		}
	}
}

func TestOperatorSnapshotRestore(t *testing.T) {
	status := http.StatusOK
	c, last := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if status != http.StatusOK {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"not an appmesh snapshot (missing header)"}`))
			return
		}
		reply(w, "0", map[string]bool{"restored": true})
	})
	data := SnapshotMagic + "v1 {}\nrest"
	if err := c.Operator().SnapshotRestore(context.Background(), strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if last.method != http.MethodPut || string(last.body) != data || last.token != "s3cret" {
		t.Fatalf("restore request: %s body %q", last.method, last.body)
	}
	status = http.StatusBadRequest
	err := c.Operator().SnapshotRestore(context.Background(), strings.NewReader("garbage"))
	if !IsBadRequest(err) || !strings.Contains(err.Error(), "not an appmesh snapshot") {
		t.Fatalf("err = %v", err)
	}
}

func TestOperatorSnapshotRestoreUnconfirmed(t *testing.T) {
	c, _ := newFake(t, func(w http.ResponseWriter, r *http.Request) { reply(w, "0", map[string]bool{}) })
	if err := c.Operator().SnapshotRestore(context.Background(), strings.NewReader("x")); err == nil {
		t.Fatal("an unconfirmed restore passed for a success")
	}
}
