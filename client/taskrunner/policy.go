package taskrunner

import (
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

// Policy is what this client lets a task do beyond its driver's sandbox.
// The client enforces it whatever the cluster's ACLs allowed the job's
// submitter to do: a node's operator has the last word on what runs as
// whom on it (like Nomad's user.denylist and docker volumes.enabled).
type Policy struct {
	// UserDenylist names host users tasks may never run as (client
	// setting user_denylist; ["root"] is recommended).
	UserDenylist []string
	// DockerVolumesEnabled allows docker tasks to bind-mount host paths
	// (docker_volumes_enabled); named volumes are always allowed.
	DockerVolumesEnabled bool
	// DockerPrivilegedEnabled allows privileged docker containers
	// (docker_privileged_enabled).
	DockerPrivilegedEnabled bool
	// RawExecEnabled (raw_exec_enabled) also allows exec tasks to opt out
	// of their filesystem and PID isolation (isolation = "none"), which
	// makes them about as open as raw_exec.
	RawExecEnabled bool
	// ChrootEnv is the client's chroot_env, handed to the exec driver.
	ChrootEnv map[string]string
	// AgentUser is the user the agent and its driver plugins run as, hence
	// that of exec and raw_exec tasks that set no user. Empty: the
	// current process's user.
	AgentUser string
	// ArtifactLocalDirs are the client directories artifacts may be read
	// from (file:// or absolute sources); empty denies local sources.
	ArtifactLocalDirs []string
	// ArtifactMaxSize bounds one artifact's download and unpacked size in
	// bytes; 0 is DefaultArtifactMaxSize.
	ArtifactMaxSize int64
}

// Check returns why the task may not run on this client, naming the rule
// and the setting that would allow it, or nil.
func (p *Policy) Check(t *structs.Task) error {
	if p == nil {
		return nil
	}
	if t.Driver == structs.DriverDocker {
		// A docker task's user lives in the container's user namespace;
		// what reaches the host are its mounts and privileges.
		if structs.DockerPrivileged(t.Config) && !p.DockerPrivilegedEnabled {
			return fmt.Errorf("privileged docker containers are disabled on this client; the client setting docker_privileged_enabled = true allows them")
		}
		if host := structs.DockerHostVolumes(t.Config); len(host) > 0 && !p.DockerVolumesEnabled {
			return fmt.Errorf("the task bind-mounts host path %q, and host bind mounts are disabled on this client; the client setting docker_volumes_enabled = true allows them (named volumes need no setting)", host[0])
		}
		return nil
	}
	if t.Driver == structs.DriverExec && structs.ExecUnisolated(t.Config) && !p.RawExecEnabled {
		return fmt.Errorf(`the task sets isolation = "none", which shows it the host's / and processes, and this client does not allow it; the client setting raw_exec_enabled = true allows it`)
	}
	if len(p.UserDenylist) == 0 {
		return nil
	}
	if t.RunsAsAgentUser() {
		agent := p.agentUser()
		if denied := p.deniedAs(agent); denied != "" {
			return fmt.Errorf("the task sets no user, so it would run as the client agent's user %q, which this client's user_denylist forbids (%q); set the task's user to another user, or remove %q from the client setting user_denylist", agent, denied, denied)
		}
		return nil
	}
	if denied := p.deniedAs(t.User); denied != "" {
		return fmt.Errorf("user %q is forbidden by this client's user_denylist (%q); run the task as another user, or remove %q from the client setting user_denylist", t.User, denied, denied)
	}
	return nil
}

// permit carries the docker settings to the driver, which refuses on its
// own too (a plugin must not depend on its caller having checked).
func (p *Policy) permit(cfg *drivers.TaskConfig) {
	if p == nil {
		return
	}
	cfg.HostVolumesAllowed = p.DockerVolumesEnabled
	cfg.PrivilegedAllowed = p.DockerPrivilegedEnabled
	cfg.UnisolatedAllowed = p.RawExecEnabled
	cfg.ChrootEnv = p.ChrootEnv
}

func (p *Policy) agentUser() string {
	if p.AgentUser != "" {
		return p.AgentUser
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

// deniedAs returns the denylist entry that name matches, or "". Names and
// uids are compared both ways, so that "0" is caught by "root" and the
// other way round.
func (p *Policy) deniedAs(name string) string {
	if name == "" {
		return ""
	}
	name, _, _ = strings.Cut(name, ":")
	uid := uidOf(name)
	for _, d := range p.UserDenylist {
		if d == name || (uid != "" && uidOf(d) == uid) {
			return d
		}
	}
	if slices.Contains(p.UserDenylist, "root") && uid == "0" {
		return "root" // root's uid even where it has another name
	}
	return ""
}

// uidOf resolves a user name or numeric uid into a uid, "" when unknown.
func uidOf(name string) string {
	if _, err := strconv.ParseUint(name, 10, 32); err == nil {
		return name
	}
	if u, err := user.Lookup(name); err == nil {
		return u.Uid
	}
	return ""
}
