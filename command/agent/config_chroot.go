package agent

import (
	"fmt"
	"path/filepath"
	"sort"
)

// chrootEnvProblems checks the client's chroot_env: both sides of each
// entry absolute, and none mounting over the task's root itself.
func chrootEnvProblems(env map[string]string) []string {
	var out []string
	for src, dst := range env {
		switch {
		case !filepath.IsAbs(src) || !filepath.IsAbs(dst):
			out = append(out, fmt.Sprintf("client chroot_env %q = %q: both paths must be absolute", src, dst))
		case filepath.Clean(dst) == "/":
			out = append(out, fmt.Sprintf("client chroot_env %q = %q: the task's root itself cannot be a host path; list the directories it should hold", src, dst))
		}
	}
	sort.Strings(out)
	return out
}
