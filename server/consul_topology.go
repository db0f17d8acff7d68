package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-memdb"
)

// TopologyApp is one application placed on a node, in
// <kv_prefix>/topology/<node>.
type TopologyApp struct {
	Job         string `json:"job"`
	Group       string `json:"group"`
	AllocID     string `json:"alloc_id"`
	Name        string `json:"name"`
	ScheduledAt string `json:"scheduled_at"` // RFC 3339, when it was placed

	// For App Mesh's shape: the job came from Consul KV, and when the
	// allocation was created (Unix nanoseconds).
	fromConsul bool
	created    int64
}

// Topology is the value of <kv_prefix>/topology/<node>.
type Topology struct {
	Node         string         `json:"node"`
	NodeID       string         `json:"node_id"`
	Applications []*TopologyApp `json:"applications"`
}

// AppMeshTopologyApp is one entry of <kv_prefix>/topology/<host> in App
// Mesh's format (kv_format = "appmesh"): a task from Consul KV placed on
// the host, and when.
type AppMeshTopologyApp struct {
	App          string `json:"app"`
	ScheduleTime string `json:"schedule_time"` // ISO 8601 (RFC 3339), UTC
}

// publishTopology (leader) writes each node's placements to Consul KV
// whenever they change, and deletes the keys of nodes with none.
func (s *Server) publishTopology(ctx context.Context) {
	logger := s.logger.Named("consul_topology")
	kv := s.config.Consul.API.KV()
	prefix := s.config.Consul.KVPrefix + "/topology/"
	format := s.config.Consul.KVFormat
	var written map[string][]byte // key → value Consul holds; nil: unknown
	var index uint64
	var backoff time.Duration
	var outage consulOutage
	for ctx.Err() == nil {
		resp, idx, err := s.State().BlockingQuery(ctx, index, topologyQuery)
		if err != nil || ctx.Err() != nil {
			if err != nil {
				logger.Error("read placements", "error", err)
			}
			if !consulBackoff(ctx, &backoff) {
				return
			}
			continue
		}
		want, err := topologyValues(prefix, format, resp.(map[string]*Topology))
		if err != nil {
			logger.Error("encode topology", "error", err)
			if !consulBackoff(ctx, &backoff) {
				return
			}
			continue
		}
		if written == nil {
			if written, err = readTopology(ctx, kv, prefix); err != nil {
				outage.fail(logger, "cannot read topology from consul", err)
				if !consulBackoff(ctx, &backoff) {
					return
				}
				continue
			}
		}
		if err := writeTopology(ctx, kv, prefix, want, written); err != nil {
			outage.fail(logger, "cannot write topology to consul", err)
			written = nil // re-read what Consul has before the next try
			if !consulBackoff(ctx, &backoff) {
				return
			}
			continue
		}
		index, backoff = idx, 0
		outage.ok(logger)
	}
}

// topologyQuery groups the live allocations by node name.
func topologyQuery(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
	allocs, err := st.Allocs(ws)
	if err != nil {
		return nil, 0, err
	}
	nodes, err := st.Nodes(ws)
	if err != nil {
		return nil, 0, err
	}
	jobs, err := st.Jobs(ws)
	if err != nil {
		return nil, 0, err
	}
	idx, err := st.MaxIndex(state.TableAllocs, state.TableNodes, state.TableJobs)
	if err != nil {
		return nil, 0, err
	}
	consulJobs := map[string]bool{}
	for _, j := range jobs {
		if j.Meta[MetaConsulSource] == "consul" && j.Namespace == structs.DefaultNamespace {
			consulJobs[j.ID] = true
		}
	}
	out := map[string]*Topology{}
	names := make(map[string]string, len(nodes))
	for _, n := range nodes {
		names[n.ID] = n.Name
		out[n.Name] = &Topology{Node: n.Name, NodeID: n.ID, Applications: []*TopologyApp{}}
	}
	for _, a := range allocs {
		name := names[a.NodeID]
		if a.TerminalStatus() || name == "" {
			continue
		}
		out[name].Applications = append(out[name].Applications, &TopologyApp{
			Job: a.JobID, Group: a.TaskGroup, AllocID: a.ID, Name: a.Name,
			ScheduledAt: time.Unix(0, a.CreateTime).UTC().Format(time.RFC3339Nano),
			fromConsul:  a.Namespace == structs.DefaultNamespace && consulJobs[a.JobID],
			created:     a.CreateTime,
		})
	}
	for _, t := range out {
		sort.Slice(t.Applications, func(i, j int) bool { return t.Applications[i].AllocID < t.Applications[j].AllocID })
	}
	return out, idx, nil
}

// topologyValues is the value of every topology key that should exist,
// in the configured format; a node without applications has no key.
func topologyValues(prefix, format string, topo map[string]*Topology) (map[string][]byte, error) {
	want := map[string][]byte{}
	for name, t := range topo {
		var v any = t
		n := len(t.Applications)
		if format == KVFormatAppMesh {
			apps := appMeshTopology(t)
			v, n = apps, len(apps)
		}
		if n == 0 {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode topology of %s: %w", name, err)
		}
		want[prefix+name] = b
	}
	return want, nil
}

// appMeshTopology is a node's topology as App Mesh writes it: one entry
// per task from Consul KV placed there (by name, earliest placement), and
// nothing of the jobs submitted otherwise, which App Mesh does not know.
func appMeshTopology(t *Topology) []AppMeshTopologyApp {
	first := map[string]int64{}
	for _, a := range t.Applications {
		if !a.fromConsul {
			continue
		}
		if cur, ok := first[a.Job]; !ok || a.created < cur {
			first[a.Job] = a.created
		}
	}
	out := make([]AppMeshTopologyApp, 0, len(first))
	for app, at := range first {
		out = append(out, AppMeshTopologyApp{App: app, ScheduleTime: time.Unix(0, at).UTC().Format(time.RFC3339)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].App < out[j].App })
	return out
}

// readTopology returns the topology keys Consul holds.
func readTopology(ctx context.Context, kv *api.KV, prefix string) (map[string][]byte, error) {
	pairs, _, err := kv.List(prefix, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	out := make(map[string][]byte, len(pairs))
	for _, p := range pairs {
		out[p.Key] = p.Value
	}
	return out, nil
}

// writeTopology writes the keys whose value changed and deletes the keys
// not in want; written is updated as Consul confirms.
func writeTopology(ctx context.Context, kv *api.KV, prefix string, want, written map[string][]byte) error {
	wopts := (&api.WriteOptions{}).WithContext(ctx)
	for key, val := range want {
		if old, ok := written[key]; ok && bytes.Equal(old, val) {
			continue
		}
		if _, err := kv.Put(&api.KVPair{Key: key, Value: val}, wopts); err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		written[key] = val
	}
	for key := range written {
		if _, ok := want[key]; !ok && strings.HasPrefix(key, prefix) {
			if _, err := kv.Delete(key, wopts); err != nil {
				return fmt.Errorf("delete %s: %w", key, err)
			}
			delete(written, key)
		}
	}
	return nil
}
