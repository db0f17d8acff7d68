package executor

import (
	"encoding/json"
	"testing"

	"github.com/appmesh/appmesh/drivers"
)

// FuzzTaskConfig decodes a StartTask request as the driver plugin receives
// it (JSON over the plugin RPC) and resolves the exec/raw_exec launch spec
// from it: a job's `config` block is user input, so no value may panic the
// plugin; bad ones are errors.
func FuzzTaskConfig(f *testing.F) {
	for _, seed := range []string{
		`{"id": "a/t", "config": {"command": "/bin/sleep", "args": ["60"]}, "task_dir": "/tmp"}`,
		`{"id": "a/t", "config": {"command": "sh", "args": ["-c", "echo $HOME"], "work_dir": "/", "stdin": true}, "env": {"PATH": "/bin"}}`,
		`{"config": {"command": "ls", "user": "nobody"}, "user": "nobody", "task_dir": "/"}`,
		`{"config": {"command": 5, "args": [1, null, {"a": 1}], "stdin": "yes"}}`,
		`{"config": {"command": "", "work_dir": "../../etc"}}`,
		`{"config": null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg drivers.TaskConfig
		if err := json.Unmarshal(data, &cfg); err != nil {
			return
		}
		spec, err := buildLaunchSpec(&cfg, configKeys)
		if err == nil && (spec == nil || spec.path == "" || len(spec.argv) == 0) {
			t.Fatalf("launch spec %+v accepted without a command", spec)
		}
	})
}
