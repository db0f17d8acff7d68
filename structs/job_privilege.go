package structs

import (
	"fmt"
	"regexp"
	"strings"
)

// Drivers whose tasks can reach the host, named here because the privilege
// rules below must know them (package drivers imports structs, not the
// other way round).
const (
	DriverExec    = "exec"
	DriverRawExec = "raw_exec"
	DriverDocker  = "docker"
)

// CapabilitySubmitPrivilegedJob is the ACL capability a job needs, on top of
// submit-job, when PrivilegedReasons is not empty: such a job can become root
// on the nodes it runs on, so the right to submit it is given on purpose.
const CapabilitySubmitPrivilegedJob = "submit-privileged-job"

// PrivilegedReasons lists, one sentence per finding, how the job's tasks
// could become root on a node (or reach the host past their isolation). An
// empty list means every task stays inside its sandbox as an unprivileged
// user. It is pure: the servers call it at registration, before any node is
// chosen, so a task without a user counts as running as the client agent's
// user, which is root on most nodes. A remote run (`appmesh run`) is a job
// like any other and is judged the same way.
func (j *Job) PrivilegedReasons() []string {
	if j == nil {
		return nil
	}
	var out []string
	for _, g := range j.Groups {
		if g == nil {
			continue
		}
		for _, t := range g.Tasks {
			if t == nil {
				continue
			}
			subject := fmt.Sprintf("task %q in group %q", t.Name, g.Name)
			if IsRunJob(j) {
				subject = fmt.Sprintf("remote run %q", j.ID)
			}
			for _, r := range t.privilegedReasons() {
				out = append(out, subject+" "+r)
			}
		}
	}
	return out
}

// privilegedReasons are the task's findings, each a predicate for a
// sentence whose subject the caller supplies.
func (t *Task) privilegedReasons() []string {
	var out []string
	switch t.Driver {
	case DriverRawExec:
		out = append(out, "uses the raw_exec driver (no isolation)")
	case DriverExec:
		if ExecUnisolated(t.Config) {
			out = append(out, `sets isolation = "none" (sees the host's / and processes)`)
		}
	case DriverDocker:
		if DockerPrivileged(t.Config) {
			out = append(out, "runs a privileged docker container")
		}
		for _, p := range DockerHostVolumes(t.Config) {
			out = append(out, fmt.Sprintf("bind-mounts host path %q into its container", p))
		}
		// A docker task's user, root included, is a user of the
		// container's own namespace, not of the host.
		return out
	}
	switch {
	case IsRootUser(t.User):
		out = append(out, fmt.Sprintf("runs as user %q", t.User))
	case t.RunsAsAgentUser():
		out = append(out, "sets no user, so it runs as the client agent's user (root on most nodes)")
	}
	return out
}

// RunsAsAgentUser reports whether the task's process runs as the user of
// the client agent (its driver plugin): exec and raw_exec tasks without a
// user. Other drivers choose their own default (docker: the image's user).
func (t *Task) RunsAsAgentUser() bool {
	return t.User == "" && (t.Driver == DriverExec || t.Driver == DriverRawExec)
}

// IsRootUser reports whether a task's user field names root: "root", uid
// 0, or docker's "user:group" forms of them.
func IsRootUser(u string) bool {
	name, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return name == "root" || name == "0"
}

// ExecUnisolated reports whether an exec task's config opts out of its
// filesystem and PID isolation (`isolation = "none"`). Anything but the
// A value that is not a string counts too: the driver rejects it anyway.
func ExecUnisolated(config map[string]any) bool {
	switch v := config["isolation"].(type) {
	case nil:
		return false
	case string:
		return v == "none"
	default:
		return true
	}
}

// DockerPrivileged reports whether a docker task's config asks for a
// privileged container (`privileged = true`).
func DockerPrivileged(config map[string]any) bool {
	switch v := config["privileged"].(type) {
	case bool:
		return v
	case string: // a JSON job may quote it; the driver refuses non-bools
		return v != "" && v != "false"
	case nil:
		return false
	default:
		return true // unreadable: count it, the driver rejects it anyway
	}
}

// dockerVolumeName is what the engine accepts as a named volume; anything
// else in a bind's source is a host path.
var dockerVolumeName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// DockerHostVolumes lists the host paths a docker task's `volumes`
// ("source:target[:mode]") bind-mount into its container. Named volumes
// live in the engine's own storage and are not listed.
func DockerHostVolumes(config map[string]any) []string {
	return DockerHostPaths(dockerVolumes(config))
}

// DockerHostPaths lists the host paths among docker volume specs
// ("source:target[:mode]"), as the docker driver has parsed them.
func DockerHostPaths(volumes []string) []string {
	var out []string
	for _, v := range volumes {
		src, _, _ := strings.Cut(v, ":")
		if !dockerVolumeName.MatchString(src) {
			out = append(out, src)
		}
	}
	return out
}

// dockerVolumes reads config.volumes as decoded from JSON/HCL ([]any) or
// built in Go ([]string); entries that are not strings are the driver's to
// reject.
func dockerVolumes(config map[string]any) []string {
	switch l := config["volumes"].(type) {
	case []string:
		return l
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string: // a single volume given without a list
		return []string{l}
	}
	return nil
}
