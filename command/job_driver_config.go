package command

import (
	"fmt"

	"github.com/appmesh/appmesh/drivers/builtin"
	"github.com/appmesh/appmesh/structs"
)

// checkDriverConfigs checks each task's `config` block against its
// driver's schema, for the drivers compiled into this binary (exec,
// raw_exec, docker). A third-party plugin's keys are known only on the
// nodes that run it; its tasks are checked there, when they start.
func checkDriverConfigs(job *structs.Job) error {
	v := &structs.ValidationError{}
	for _, g := range job.Groups {
		for _, t := range g.Tasks {
			for _, p := range builtin.ConfigSchema(t.Driver).Check(t.Driver, t.Config) {
				v.Add(fmt.Sprintf("group %q: task %q", g.Name, t.Name), "%s", p)
			}
		}
	}
	return v.ErrorOrNil()
}
