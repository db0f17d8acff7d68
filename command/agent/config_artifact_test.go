package agent

import (
	"strings"
	"testing"
)

// The client's artifact settings are read from the client block; paths
// that cannot be meant are refused.
func TestArtifactClientConfig(t *testing.T) {
	cfg, err := loadGCConfig(t, `client {
  enabled              = true
  artifact_local_dirs  = ["/srv/artifacts"]
  artifact_max_size_mb = 2048
}
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Client; len(got.ArtifactLocalDirs) != 1 || got.ArtifactMaxSizeMB != 2048 {
		t.Fatalf("client = %+v", got)
	}
	_, err = loadGCConfig(t, `client {
  enabled              = true
  artifact_local_dirs  = ["srv", "/"]
  artifact_max_size_mb = -1
}
`)
	if err == nil {
		t.Fatal("bad artifact settings were accepted")
	}
	for _, want := range []string{`artifact_local_dirs "srv": the path must be absolute`, `"/" would let every job read`, "artifact_max_size_mb = -1 must not be negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
