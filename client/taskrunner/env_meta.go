package taskrunner

import "strings"

// addMetaEnv sets APPMESH_META_<KEY> for each meta key, so that a task
// reads a dispatched job's -meta (and any job, group or task meta) from its
// environment. The key is upper-cased with '-' and '.' as '_', the form
// shells can read; a variable the task sets itself wins.
func addMetaEnv(env, meta map[string]string) {
	for k, v := range meta {
		name := "APPMESH_META_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(k))
		if _, set := env[name]; !set {
			env[name] = v
		}
	}
}
