package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// host_volume blocks are read from the client block and reach the client
// as the node's host volumes.
func TestHostVolumeConfig(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadGCConfig(t, `client {
  enabled = true
  host_volume "data" {
    path      = "`+dir+`"
    read_only = true
  }
  host_volume "scratch" { path = "`+dir+`/" }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	vols := cfg.Client.hostVolumes()
	if len(vols) != 2 || vols["data"].Path != dir || !vols["data"].ReadOnly || vols["scratch"].ReadOnly || vols["scratch"].Path != dir {
		t.Fatalf("host volumes = %+v", vols)
	}
}

// A missing path, a file, a relative path, a duplicate name and an
// unknown field are each refused with a message naming the volume.
func TestHostVolumeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadGCConfig(t, `client {
  enabled = true
  host_volume "gone" { path = "`+dir+`/nope" }
  host_volume "file" { path = "`+file+`" }
  host_volume "rel" { path = "srv/data" }
  host_volume "dup" { path = "`+dir+`" }
  host_volume "dup" { path = "`+dir+`" }
}
`)
	for _, want := range []string{
		`client host_volume "gone": path "` + dir + `/nope" cannot be used`,
		"create the directory before starting the agent",
		`client host_volume "file": path "` + file + `" is not a directory`,
		`client host_volume "rel": path "srv/data" must be absolute`,
		`client host_volume "dup": defined more than once`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	_, err = loadGCConfig(t, `client {
  enabled = true
  host_volume "x" {
    path  = "`+dir+`"
    owner = "nobody"
  }
}
`)
	if err == nil || !strings.Contains(err.Error(), `"owner"`) {
		t.Fatalf("unknown field: err = %v", err)
	}
	_, err = loadGCConfig(t, "client {\n  enabled = true\n  host_volume \"x\" {}\n}\n")
	if err == nil || !strings.Contains(err.Error(), `"path" is required`) {
		t.Fatalf("missing path: err = %v", err)
	}
}

// The JSON form of the agent configuration takes host volumes keyed by
// name, as HCL labels are in JSON.
func TestHostVolumeConfigJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(t.TempDir(), "agent.json")
	src := `{"client": {"enabled": true, "host_volume": {"data": {"path": "` + dir + `", "read_only": true}}}}`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DevConfig()
	if err := LoadConfigFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if v := cfg.Client.hostVolumes()["data"]; v == nil || v.Path != dir || !v.ReadOnly {
		t.Fatalf("host volumes = %+v", cfg.Client.hostVolumes())
	}
}
