package taskrunner

import (
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/structs"
)

// Environment variables that every task gets.
const (
	EnvAllocID   = "APPMESH_ALLOC_ID"
	EnvTaskName  = "APPMESH_TASK_NAME"
	EnvJobID     = "APPMESH_JOB_ID"
	EnvGroupName = "APPMESH_GROUP_NAME"
	EnvAllocDir  = "APPMESH_ALLOC_DIR"
	EnvTaskDir   = "APPMESH_TASK_DIR"
)

// buildEnv returns the task's own env plus the APPMESH_* variables. The
// APPMESH_* names win over the task's env so a task can rely on them.
func buildEnv(task *structs.Task, alloc *structs.Allocation, allocDir, taskDir string) map[string]string {
	env := make(map[string]string, len(task.Env)+6)
	for k, v := range task.Env {
		env[k] = v
	}
	env[EnvAllocID] = alloc.ID
	env[EnvTaskName] = task.Name
	env[EnvJobID] = alloc.JobID
	env[EnvGroupName] = alloc.TaskGroup
	env[EnvAllocDir] = allocDir
	env[EnvTaskDir] = taskDir
	for _, p := range alloc.AllocatedPorts {
		addPortEnv(env, p)
	}
	return env
}

// addPortEnv sets APPMESH_PORT_<label> (the port the task listens on: the
// mapped "to" port when set, else the host port) and
// APPMESH_HOST_PORT_<label> (the port on the node). A '-' in the label
// becomes '_' so that shells can read the variable.
func addPortEnv(env map[string]string, p structs.AllocatedPort) {
	label := strings.ReplaceAll(p.Label, "-", "_")
	port := p.Value
	if p.To > 0 {
		port = p.To
	}
	env["APPMESH_PORT_"+label] = strconv.Itoa(port)
	env["APPMESH_HOST_PORT_"+label] = strconv.Itoa(p.Value)
}
