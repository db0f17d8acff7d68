package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadGCConfig(t *testing.T, src string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DevConfig()
	if err := LoadConfigFile(path, cfg); err != nil {
		return nil, err
	}
	return cfg, cfg.Validate()
}

func TestGCConfigBlocks(t *testing.T) {
	cfg, err := loadGCConfig(t, `server {
  enabled                 = true
  gc_interval             = "1m"
  eval_gc_threshold       = "30m"
  batch_eval_gc_threshold = "12h"
  job_gc_threshold        = "2h"
  node_gc_threshold       = "48h"
  acl_token_gc_threshold  = "15m"
}
client {
  enabled                 = true
  gc_interval             = "10s"
  gc_disk_usage_threshold = 90
  gc_max_allocs           = 20
}
`)
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Server.gcConfig()
	if s.Interval != time.Minute || s.EvalThreshold != 30*time.Minute || s.BatchEvalThreshold != 12*time.Hour ||
		s.JobThreshold != 2*time.Hour || s.NodeThreshold != 48*time.Hour || s.ACLTokenThreshold != 15*time.Minute {
		t.Fatalf("server gc config %+v", s)
	}
	c := cfg.Client.gcConfig()
	if c.Interval != 10*time.Second || c.DiskUsageThreshold != 90 || c.MaxAllocs != 20 {
		t.Fatalf("client gc config %+v", c)
	}
}

func TestGCConfigBadValues(t *testing.T) {
	for setting, want := range map[string]string{
		"server\x00job_gc_threshold = \"soon\"":   `server job_gc_threshold "soon" is not a positive duration`,
		"server\x00gc_interval = \"-1m\"":         `server gc_interval "-1m" is not a positive duration`,
		"client\x00gc_interval = \"0s\"":          `client gc_interval "0s" is not a positive duration`,
		"client\x00gc_disk_usage_threshold = 120": `client gc_disk_usage_threshold 120 is not a percentage`,
		"client\x00gc_disk_usage_threshold = 0":   `client gc_disk_usage_threshold 0 is not a percentage`,
		"client\x00gc_max_allocs = 0":             `client gc_max_allocs 0 must be at least 1`,
	} {
		block, attr, _ := strings.Cut(setting, "\x00")
		src := block + " {\n  enabled = true\n  " + attr + "\n}\n"
		_, err := loadGCConfig(t, src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s { %s }: err = %v, want %q", block, attr, err, want)
		}
	}
}
