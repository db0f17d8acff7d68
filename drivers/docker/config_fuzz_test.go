package docker

import (
	"encoding/json"
	"testing"

	"github.com/appmesh/appmesh/drivers"
)

// FuzzTaskConfig decodes a StartTask request as the docker driver receives
// it and turns its `config` block into container create options: no value
// a job can hold may panic the driver.
func FuzzTaskConfig(f *testing.F) {
	for _, seed := range []string{
		`{"id": "a/t", "config": {"image": "busybox:1", "command": "sleep", "args": ["60"]}, "ports": {"http": 8080}}`,
		`{"config": {"image": "nginx", "ports": ["http"], "port_map": {"http": 80}, "env": {"A": "b"}, "labels": {"x": "y"}}, "ports": {"http": 20000}}`,
		`{"config": {"image": "x", "volumes": ["/a:/b:ro", "rel:/c"], "privileged": true, "entrypoint": ["/bin/sh"]}}`,
		`{"config": {"image": "x", "port_map": {"http": "80"}, "ports": [1], "privileged": "yes"}}`,
		`{"config": {"load": "img.tar", "image": ""}}`,
		`{"config": {"image": "x"}, "resources": {"cpu": 100, "memory": 64, "cores": 2}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg drivers.TaskConfig
		if err := json.Unmarshal(data, &cfg); err != nil {
			return
		}
		tc, err := parseConfig(&cfg)
		if err != nil {
			return
		}
		if tc.Image == "" {
			t.Fatalf("config %v accepted without an image", cfg.Config)
		}
		_ = checkAllowed(&cfg, tc)
		_, _ = createOptions(&cfg, tc)
	})
}
