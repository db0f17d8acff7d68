package jobspec

import (
	"strings"
	"testing"
)

// volumeJob is a job in Nomad's syntax with a host volume, a task mount
// and ephemeral_disk; extra is added to the group.
func volumeJob(groupExtra, mountVolume string) string {
	return `job "db" {
  group "store" {
    count = 2
    ephemeral_disk {
      size    = 500
      sticky  = true
      migrate = true
    }
    volume "data" {
      type      = "host"
      source    = "pgdata"
      read_only = false
      per_alloc = true
    }
` + groupExtra + `
    task "pg" {
      driver = "exec"
      config { command = "/bin/true" }
      volume_mount {
        volume      = "` + mountVolume + `"
        destination = "/var/lib/data"
        read_only   = true
      }
      resources {
        cpu  = 100
        disk = 200
      }
    }
  }
}
`
}

// volume, volume_mount, ephemeral_disk and resources.disk decode from
// Nomad's syntax; the group's disk ask is ephemeral_disk plus its tasks'.
func TestVolumeParse(t *testing.T) {
	job := parseHCLString(t, volumeJob("", "data"))
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	g := job.Groups[0]
	if len(g.Volumes) != 1 {
		t.Fatalf("volumes = %+v", g.Volumes)
	}
	v := g.Volumes[0]
	if v.Name != "data" || v.Type != "host" || v.Source != "pgdata" || v.ReadOnly || !v.PerAlloc {
		t.Fatalf("volume = %+v", v)
	}
	if v.SourceFor(1) != "pgdata[1]" {
		t.Fatalf("per-alloc source = %q", v.SourceFor(1))
	}
	m := g.Tasks[0].VolumeMounts
	if len(m) != 1 || m[0].Volume != "data" || m[0].Destination != "/var/lib/data" || !m[0].ReadOnly {
		t.Fatalf("volume_mount = %+v", m)
	}
	if d := g.EphemeralDisk; d == nil || d.SizeMB != 500 || !d.Sticky || !d.Migrate {
		t.Fatalf("ephemeral_disk = %+v", d)
	}
	if got := g.Resources().DiskMB; got != 700 {
		t.Fatalf("group disk = %d, want 700", got)
	}

	js := `{"job": {"id": "j", "groups": [{"name": "g",
	  "volumes": [{"name": "data", "type": "host", "source": "pgdata", "read_only": true}],
	  "ephemeral_disk": {"size": 100, "sticky": true},
	  "tasks": [{"name": "t", "driver": "exec", "resources": {"disk": 10},
	    "volume_mounts": [{"volume": "data", "destination": "/data"}]}]}]}}`
	jj, err := Parse("j.json", []byte(js), "json")
	if err != nil {
		t.Fatalf("parse json: %v", err)
	}
	jg := jj.Groups[0]
	if len(jg.Volumes) != 1 || !jg.Volumes[0].ReadOnly || jg.EphemeralDisk.SizeMB != 100 ||
		jg.Tasks[0].VolumeMounts[0].Destination != "/data" || jg.Tasks[0].Resources.DiskMB != 10 {
		t.Fatalf("json group = %+v", jg)
	}
}

// Bad volume blocks are refused with a message naming the group, task and
// field; unknown fields are errors.
func TestVolumeValidate(t *testing.T) {
	job := parseHCLString(t, volumeJob("", "logs"))
	job.Canonicalize()
	err := job.Validate()
	if err == nil || !strings.Contains(err.Error(), `group "store": task "pg": volume_mount 1: volume "logs" is not defined in the group; the group defines "data"`) {
		t.Fatalf("unknown volume: err = %v", err)
	}

	csi := `    volume "c" {
      type   = "csi"
      source = "ebs"
    }
    volume "d" {
      type = "nfs"
    }
`
	job = parseHCLString(t, volumeJob(csi, "data"))
	job.Canonicalize()
	err = job.Validate()
	for _, want := range []string{
		`group "store": volume "c": type "csi" is a Nomad feature appmesh does not support`,
		`group "store": volume "d": type "nfs" is unknown`,
		`group "store": volume "d": source is required`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}

	_, err = Parse("x.hcl", []byte(volumeJob(`    volume "e" {
      type = "host"
      source = "x"
      mount_options { fs_type = "ext4" }
      flavour = 1
    }
`, "data")), "hcl")
	if err == nil || !strings.Contains(err.Error(), `"flavour" is not expected here`) {
		t.Fatalf("unknown field: err = %v", err)
	}

	bad := strings.Replace(volumeJob("", "data"), `destination = "/var/lib/data"`, `destination = "/var/../etc"`, 1)
	bad = strings.Replace(bad, `size    = 500`, `size    = -1`, 1)
	job = parseHCLString(t, bad)
	job.Canonicalize()
	err = job.Validate()
	for _, want := range []string{`destination "/var/../etc" must not contain ".."`, `ephemeral_disk: size must not be negative`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}

	// A volume over the task's own local/ would collide at start; it is
	// refused at validate.
	job = parseHCLString(t, strings.Replace(volumeJob("", "data"), `destination = "/var/lib/data"`, `destination = "/local/"`, 1))
	job.Canonicalize()
	want := `destination "/local/" is where the task's own local directory is mounted`
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// Nomad's CSI-only volume fields and volume_mount's propagation_mode are
// named as Nomad features appmesh lacks.
func TestVolumeNomadOnlyFields(t *testing.T) {
	src := strings.Replace(volumeJob("", "data"), `per_alloc = true`, "per_alloc = true\n      access_mode = \"single-node-writer\"", 1)
	src = strings.Replace(src, `read_only   = true`, "read_only   = true\n        propagation_mode = \"private\"", 1)
	_, err := Parse("x.hcl", []byte(src), "hcl")
	for _, want := range []string{
		"`access_mode` is a Nomad feature appmesh does not support (found in a volume block)",
		"`propagation_mode` is a Nomad feature appmesh does not support (found in a volume_mount block)",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
