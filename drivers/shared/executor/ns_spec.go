package executor

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/appmesh/appmesh/drivers"
)

// Values of an exec task's `isolation` config key.
const (
	// IsolationChroot (the default) gives the task its own PID namespace
	// and a mount namespace whose root holds only the client's chroot_env,
	// the task's directories, /proc, a minimal /dev and a fresh /tmp.
	IsolationChroot = "chroot"
	// IsolationNone runs the task on the host's filesystem and PID
	// namespace, still in its cgroup and as its user. A client allows it
	// only where raw_exec is enabled, and a job asking for it needs the
	// submit-privileged-job ACL capability (structs.Task privilege rules).
	IsolationNone = "none"
)

// DefaultChrootEnv is what an isolated exec task sees of the host when the
// client sets no chroot_env: the programs, libraries and configuration a
// shell script needs, each bind-mounted read-only. Paths missing on the
// host are skipped.
var DefaultChrootEnv = map[string]string{
	"/bin":            "/bin",
	"/etc":            "/etc",
	"/lib":            "/lib",
	"/lib32":          "/lib32",
	"/lib64":          "/lib64",
	"/run/resolvconf": "/run/resolvconf",
	"/sbin":           "/sbin",
	"/usr":            "/usr",
}

// nsStateBase holds one directory per isolated task: the empty mount point
// of its root and the file its init leaves its exit status in. It is only
// ever touched by root (the exec driver needs root for cgroups).
const nsStateBase = "/run/appmesh-exec"

// nsBind is one bind mount of the task's root: Src on the host, Dst inside.
type nsBind struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
	RW  bool   `json:"rw,omitempty"`
}

// nsSpec is what the task's init needs to build the root and start the
// task; it travels over a pipe, never on the command line or in the
// environment, where the task's env (secrets included) would show.
type nsSpec struct {
	Root     string   `json:"root"`
	ExitFile string   `json:"exit_file"`
	Binds    []nsBind `json:"binds"`
	// Command is the task's command as written, looked up again inside the
	// root when Path is not there.
	Command string              `json:"command"`
	Path    string              `json:"path"`
	Argv    []string            `json:"argv"`
	Env     []string            `json:"env"`
	Dir     string              `json:"dir"`
	Cred    *syscall.Credential `json:"cred,omitempty"`
}

// isolationMode reads a task's `isolation` key: "" means the default.
func isolationMode(cfg *drivers.TaskConfig) (string, error) {
	v, err := stringField(cfg.Config, "isolation")
	if err != nil {
		return "", err
	}
	switch v {
	case "", IsolationChroot:
		return IsolationChroot, nil
	case IsolationNone:
		if !cfg.UnisolatedAllowed {
			return "", fmt.Errorf("config: isolation = %q is disabled on this client: it shows the host's / to the task; the client setting raw_exec_enabled = true allows it", v)
		}
		return IsolationNone, nil
	}
	return "", fmt.Errorf("config: isolation must be %q or %q, got %q", IsolationChroot, IsolationNone, v)
}

// nsStateDir is the task's directory under nsStateBase, a function of its
// id alone so that a restarted plugin finds it again.
func nsStateDir(base, id string) string {
	return filepath.Join(base, strings.NewReplacer("/", "_", "..", "__").Replace(id))
}

// buildNSSpec lists the task's root: the chroot_env entries read-only, then
// the allocation's shared dir and the task dir writable at their host paths,
// so that APPMESH_TASK_DIR, APPMESH_ALLOC_DIR and paths in the task's
// arguments mean the same inside as outside.
func buildNSSpec(cfg *drivers.TaskConfig, spec *launchSpec, stateDir string) (*nsSpec, error) {
	env := cfg.ChrootEnv
	if len(env) == 0 {
		env = DefaultChrootEnv
	}
	s := &nsSpec{
		Root:     filepath.Join(stateDir, "root"),
		ExitFile: filepath.Join(stateDir, "exit"),
		Command:  spec.argv[0],
		Path:     spec.path,
		Argv:     spec.argv,
		Env:      spec.env,
		Dir:      spec.dir,
		Cred:     spec.cred,
	}
	for _, src := range slices.Sorted(maps.Keys(env)) {
		dst := env[src]
		if !filepath.IsAbs(src) || !filepath.IsAbs(dst) {
			return nil, fmt.Errorf("chroot_env: %q = %q: both paths must be absolute", src, dst)
		}
		if filepath.Clean(dst) == "/" {
			return nil, fmt.Errorf("chroot_env: %q = %q: the root itself cannot be mounted; list directories under it", src, dst)
		}
		s.Binds = append(s.Binds, nsBind{Src: filepath.Clean(src), Dst: filepath.Clean(dst)})
	}
	// Mount parents before children: /usr before /usr/local.
	slices.SortStableFunc(s.Binds, func(a, b nsBind) int { return strings.Compare(a.Dst, b.Dst) })
	// The allocation's shared dir ("alloc", logs included), not the whole
	// allocation: the other tasks' own directories stay theirs.
	var shared string
	if cfg.AllocDir != "" {
		shared = filepath.Join(cfg.AllocDir, "alloc")
	}
	for _, d := range []string{shared, cfg.TaskDir} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(d); err != nil {
			if d == shared && os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("task directory: %w", err)
		}
		s.Binds = append(s.Binds, nsBind{Src: d, Dst: d, RW: true})
	}
	if cfg.ResolvConf != "" {
		s.Binds = append(s.Binds, nsBind{Src: cfg.ResolvConf, Dst: "/etc/resolv.conf"})
	}
	// Host volumes last: a volume may be mounted inside the task dir.
	for _, m := range cfg.Mounts {
		if !filepath.IsAbs(m.TaskPath) || filepath.Clean(m.TaskPath) == "/" {
			return nil, fmt.Errorf("volume %q: destination %q must be an absolute path below /", m.Volume, m.TaskPath)
		}
		// bindInto skips a missing source (chroot_env's defaults); a
		// volume the task was promised must not vanish silently.
		if fi, err := os.Stat(m.HostPath); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("volume %q: host path %s is not a directory (%v)", m.Volume, m.HostPath, err)
		}
		s.Binds = append(s.Binds, nsBind{Src: filepath.Clean(m.HostPath), Dst: filepath.Clean(m.TaskPath), RW: !m.ReadOnly})
	}
	return s, nil
}
