package server

import (
	"fmt"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/server/state"
	"github.com/appmesh/appmesh/structs"
)

// checkDriverConfigs checks each task's `config` block against the schema
// its driver reported in the nodes' fingerprints (built-in drivers and
// third-party plugins that give one). A driver no node describes is not
// checked here: its tasks are checked when they start.
func checkDriverConfigs(snap *state.StateSnapshot, job *structs.Job) error {
	nodes, err := snap.Nodes(nil)
	if err != nil {
		return fmt.Errorf("list nodes: %w", err)
	}
	schemas := map[string]*drivers.ConfigSchema{}
	for _, n := range nodes {
		for name, d := range n.Drivers {
			if d != nil && d.Detected && len(d.ConfigKeys) > 0 && schemas[name] == nil {
				schemas[name] = &drivers.ConfigSchema{Keys: d.ConfigKeys, Required: d.ConfigRequired}
			}
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
