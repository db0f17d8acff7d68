package server

import (
	"fmt"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-memdb"
)

// nodeLister is the part of the state (store or snapshot) the check reads.
type nodeLister interface {
	Nodes(ws memdb.WatchSet) ([]*structs.Node, error)
}

// checkDriverConfigs checks each task's `config` block against the schema
// its driver reported in the nodes' fingerprints (built-in drivers and
// third-party plugins that give one). A driver no node describes is not
// checked here: its tasks are checked when they start.
func checkDriverConfigs(st nodeLister, job *structs.Job) error {
	nodes, err := st.Nodes(nil)
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	// The job's drivers; the scan stops once each has a schema (usually
	// at the first node), so a registration does not walk a large fleet.
	schemas := map[string]*drivers.ConfigSchema{}
	for _, g := range job.Groups {
		for _, t := range g.Tasks {
			schemas[t.Driver] = nil
		}
	}
	missing := len(schemas)
	for _, n := range nodes {
		for name, d := range n.Drivers {
			if s, want := schemas[name]; want && s == nil && d != nil && d.Detected && len(d.ConfigKeys) > 0 {
				schemas[name] = &drivers.ConfigSchema{Keys: d.ConfigKeys, Required: d.ConfigRequired}
				missing--
			}
		}
		if missing == 0 {
			break
		}
	}
	v := &structs.ValidationError{}
	for _, g := range job.Groups {
		for _, t := range g.Tasks {
			for _, p := range schemas[t.Driver].Check(t.Driver, t.Config) {
				v.Add(fmt.Sprintf("group %q: task %q", g.Name, t.Name), "%s", p)
			}
		}
	}
	return v.ErrorOrNil()
}
