package executor

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/appmesh/appmesh/drivers"
)

// defaultPath is the PATH a task gets when its env does not set one. The
// plugin's own environment is deliberately not inherited: a task should see
// the same environment no matter how the agent was started.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// configKeys are the keys a task's `config` block may hold; an executor
// with namespaces (exec) also takes `isolation`.
var (
	configKeys   = []string{"args", "command", "stdin", "work_dir"}
	nsConfigKeys = []string{"args", "command", "isolation", "stdin", "work_dir"}
)

// ConfigSchema is the `config` block of raw_exec tasks, and ExecConfigSchema
// that of exec tasks, for checks before a task runs
// (drivers/builtin.ConfigSchema).
var (
	ConfigSchema     = &drivers.ConfigSchema{Keys: configKeys, Required: []string{"command"}}
	ExecConfigSchema = &drivers.ConfigSchema{Keys: nsConfigKeys, Required: []string{"command"}}
)

// launchSpec is a task's process as the kernel will see it: everything is
// resolved and checked before fork so that errors carry a clear message
// instead of a bare errno from the child.
type launchSpec struct {
	path string
	argv []string
	env  []string
	dir  string
	cred *syscall.Credential
	// extra are files the process gets as fds 3, 4, ... (the init's pipes).
	extra []*os.File
}

// buildLaunchSpec validates a task's config and resolves it into a launchSpec.
func buildLaunchSpec(cfg *drivers.TaskConfig, keys []string) (*launchSpec, error) {
	if err := checkConfigKeys(cfg.Config, keys); err != nil {
		return nil, err
	}
	command, err := stringField(cfg.Config, "command")
	if err != nil {
		return nil, err
	}
	if command == "" {
		return nil, fmt.Errorf("config: command is required")
	}
	if v, ok := cfg.Config["stdin"]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			// WantsStdin would read anything else as false.
			return nil, fmt.Errorf("config: stdin must be true or false, got %T", v)
		}
	}
	args, err := stringList(cfg.Config["args"])
	if err != nil {
		return nil, err
	}
	dir, err := workDir(cfg)
	if err != nil {
		return nil, err
	}
	spec := &launchSpec{dir: dir, argv: append([]string{command}, args...)}
	var home, login string
	if cfg.User != "" {
		if spec.cred, home, err = lookupCredential(cfg.User); err != nil {
			return nil, err
		}
		if err := checkReachable(dir, cfg.User, spec.cred); err != nil {
			return nil, err
		}
		login = cfg.User
	}
	spec.env = buildEnv(cfg.Env, home, login)
	if spec.path, err = resolveCommand(command, dir, envPath(spec.env)); err != nil {
		return nil, err
	}
	return spec, nil
}

func checkConfigKeys(config map[string]any, keys []string) error {
	var unknown []string
	for k := range config {
		if !slices.Contains(keys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("config: unknown keys %s (allowed: %s)",
		strings.Join(unknown, ", "), strings.Join(keys, ", "))
}

func stringField(config map[string]any, key string) (string, error) {
	v, ok := config[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("config: %s must be a string, got %T", key, v)
	}
	return s, nil
}

// stringList accepts args as decoded from JSON/HCL ([]any) or as built in Go
// ([]string).
func stringList(v any) ([]string, error) {
	switch list := v.(type) {
	case nil:
		return nil, nil
	case []string:
		return slices.Clone(list), nil
	case []any:
		out := make([]string, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("config: args[%d] must be a string, got %T", i, e)
			}
			out[i] = s
		}
		return out, nil
	default:
		return nil, fmt.Errorf("config: args must be a list of strings, got %T", v)
	}
}

// workDir is config.work_dir (relative to the task dir) or the task dir.
func workDir(cfg *drivers.TaskConfig) (string, error) {
	dir, err := stringField(cfg.Config, "work_dir")
	if err != nil {
		return "", err
	}
	switch {
	case dir == "" && cfg.TaskDir == "":
		return "/", nil
	case dir == "":
		dir = cfg.TaskDir
	case !filepath.IsAbs(dir):
		dir = filepath.Join(cfg.TaskDir, dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("config: work_dir: %w", err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("config: work_dir %q is not a directory", dir)
	}
	return dir, nil
}

// lookupCredential resolves a user name into the credential the child
// switches to, and the user's home directory.
func lookupCredential(name string) (*syscall.Credential, string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, "", fmt.Errorf("user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, "", fmt.Errorf("user %q: bad uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, "", fmt.Errorf("user %q: bad gid %q: %w", name, u.Gid, err)
	}
	if euid := os.Geteuid(); euid != 0 {
		if uint64(euid) == uid {
			return nil, u.HomeDir, nil // already that user; nothing to switch
		}
		return nil, "", fmt.Errorf("user %q: running a task as another user requires the driver to run as root (it runs as uid %d)", name, euid)
	}
	groups, err := supplementaryGroups(u)
	if err != nil {
		return nil, "", err
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: groups}
	return cred, u.HomeDir, nil
}

func supplementaryGroups(u *user.User) ([]uint32, error) {
	ids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("user %q: listing groups: %w", u.Username, err)
	}
	groups := make([]uint32, 0, len(ids))
	for _, id := range ids {
		g, err := strconv.ParseUint(id, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %q: bad group id %q: %w", u.Username, id, err)
		}
		groups = append(groups, uint32(g))
	}
	return groups, nil
}

// buildEnv is the task env plus PATH (and HOME/USER when running as a named
// user) where the task does not set them, sorted for reproducibility.
func buildEnv(taskEnv map[string]string, home, login string) []string {
	env := make(map[string]string, len(taskEnv)+3)
	for k, v := range taskEnv {
		env[k] = v
	}
	setDefault := func(k, v string) {
		if _, ok := env[k]; !ok && v != "" {
			env[k] = v
		}
	}
	setDefault("PATH", defaultPath)
	setDefault("HOME", home)
	setDefault("USER", login)
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func envPath(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			return v
		}
	}
	return ""
}

// resolveCommand finds the executable the way a shell would, but with the
// task's PATH and working directory rather than the plugin's.
func resolveCommand(command, dir, path string) (string, error) {
	if strings.Contains(command, "/") {
		if !filepath.IsAbs(command) {
			command = filepath.Join(dir, command)
		}
		if err := checkExecutable(command); err != nil {
			return "", fmt.Errorf("config: command: %w", err)
		}
		return command, nil
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		candidate := filepath.Join(d, command)
		if checkExecutable(candidate) == nil {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("config: command %q not found in PATH %q", command, path)
}

func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}
