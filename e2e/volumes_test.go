package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostVolume runs a job file in Nomad's syntax on an agent whose config
// declares host volumes: an exec task writes a file through its mount and
// the test finds it in the host directory; a read-only mount refuses the
// exec task's write; a raw_exec task finds the same volume through
// APPMESH_VOLUME_DATA and the link in its task dir; a per_alloc volume
// resolves to "per[0]" for allocation 0. A job asking for a
// host volume no node has stays pending, and job status names the missing
// volume.
func TestHostVolume(t *testing.T) {
	shared := traversableTempDir(t)
	ro := traversableTempDir(t)
	perAlloc := traversableTempDir(t)
	for _, d := range []string{shared, ro, perAlloc} {
		// The exec task runs as an unprivileged user by default.
		if err := os.Chmod(d, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(ro, "seed.txt"), []byte("seeded\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeFile(t, "agent.hcl", fmt.Sprintf(`client {
  enabled          = true
  raw_exec_enabled = true
  host_volume "shared" {
    path = %q
  }
  host_volume "reference" {
    path      = %q
    read_only = true
  }
  host_volume "per[0]" {
    path = %q
  }
}
`, shared, ro, perAlloc))
	a := startAgent(t, agentOptions{dev: true, config: cfg})
	var nodes []struct {
		ID string `json:"id"`
	}
	a.getJSON("/v1/nodes", &nodes)
	if len(nodes) != 1 {
		t.Fatalf("nodes = %+v", nodes)
	}
	if r := a.cli("node status", nodes[0].ID); r.code != 0 || !strings.Contains(r.stdout, "Host Volumes") ||
		!strings.Contains(r.stdout, shared) || !strings.Contains(r.stdout, "reference") {
		a.fatalf("node status: want the host volumes listed, got %s", r)
	}

	job := writeFile(t, "vol.hcl", `job "vol" {
  datacenters = ["*"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    volume "data" {
      type   = "host"
      source = "shared"
    }
    volume "ref" {
      type      = "host"
      source    = "reference"
      read_only = true
    }
    task "writer" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo from-exec > /srv/data/exec.txt && cat /srv/ref/seed.txt && if echo x > /srv/ref/nope 2>/dev/null; then echo RO-WRITABLE; exit 1; fi; echo ro-refused"]
      }
      volume_mount {
        volume      = "data"
        destination = "/srv/data"
      }
      volume_mount {
        volume      = "ref"
        destination = "/srv/ref"
        read_only   = true
      }
    }
    task "raw" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo from-raw > \"$APPMESH_VOLUME_DATA/raw.txt\" && echo via-link > srv/data/link.txt"]
      }
      volume_mount {
        volume      = "data"
        destination = "/srv/data"
      }
    }
  }
}
`)
	if r := a.cli("job validate", job); r.code != 0 {
		a.fatalf("job validate: %s", r)
	}
	if r := a.cli("job run", job); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	allocs := a.waitAllocs("vol", "a complete allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && (al[0].ClientStatus == "complete" || al[0].ClientStatus == "failed"), describeAllocs(al)
	})
	logs := a.cli("alloc logs", allocs[0].ID, "writer")
	if allocs[0].ClientStatus != "complete" {
		a.fatalf("allocation %s; writer's output: %s", describeAllocs(allocs), logs)
	}
	if !strings.Contains(logs.stdout, "seeded") || !strings.Contains(logs.stdout, "ro-refused") {
		t.Fatalf("writer's output: want the seeded file read and the read-only write refused, got %s", logs)
	}
	for name, want := range map[string]string{"exec.txt": "from-exec\n", "raw.txt": "from-raw\n", "link.txt": "via-link\n"} {
		b, err := os.ReadFile(filepath.Join(shared, name))
		if err != nil || string(b) != want {
			t.Errorf("host volume file %s = %q, %v; want %q", name, b, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(ro, "nope")); err == nil {
		t.Errorf("the read-only volume was written to")
	}

	// per_alloc: allocation 0 gets the host volume "per[0]".
	per := writeFile(t, "per.hcl", `job "per" {
  datacenters = ["*"]
  type        = "batch"
  group "g" {
    volume "data" {
      type      = "host"
      source    = "per"
      per_alloc = true
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo per-ok > \"$APPMESH_VOLUME_DATA/index.txt\""]
      }
      volume_mount {
        volume      = "data"
        destination = "/data"
      }
    }
  }
}
`)
	if r := a.cli("job run", per); r.code != 0 {
		a.fatalf("job run per: %s", r)
	}
	a.waitFor("the per_alloc volume's file", func() (bool, string) {
		b, err := os.ReadFile(filepath.Join(perAlloc, "index.txt"))
		return err == nil && string(b) == "per-ok\n", fmt.Sprintf("%q, %v", b, err)
	})

	missing := writeFile(t, "novol.hcl", `job "novol" {
  datacenters = ["*"]
  group "g" {
    volume "data" {
      type   = "host"
      source = "nosuch"
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sleep"
        args    = ["60"]
      }
      volume_mount {
        volume      = "data"
        destination = "/data"
      }
    }
  }
}
`)
	if r := a.cli("job run", "-detach", missing); r.code != 0 {
		a.fatalf("job run -detach novol: %s", r)
	}
	a.waitFor("job status to name the missing host volume", func() (bool, string) {
		r := a.cli("job status", "novol")
		return strings.Contains(r.stdout, "Placement Failure") && strings.Contains(r.stdout, `missing host volume \"nosuch\"`) &&
			strings.Contains(r.stdout, "pending"), r.String()
	})
	if r := a.cli("job status", "novol"); strings.Contains(r.stdout, "running") {
		t.Fatalf("job novol runs without its volume: %s", r)
	}
}

// TestEphemeralDiskSticky updates a job whose group has a sticky
// ephemeral_disk: the replacement allocation finds the file its
// predecessor wrote in alloc/data.
func TestEphemeralDiskSticky(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	sec, marker := taskSleep(51)
	a.track(marker)
	src := func(version string) string {
		return fmt.Sprintf(`job "sticky" {
  datacenters = ["*"]
  group "g" {
    ephemeral_disk {
      size   = 10
      sticky = true
    }
    task "t" {
      driver = "raw_exec"
      env {
        VERSION = %q
      }
      config {
        command = "/bin/sh"
        args    = ["-c", "d=\"$APPMESH_ALLOC_DIR/alloc/data\"; cat \"$d/history\" 2>/dev/null; echo \"$VERSION\" >> \"$d/history\"; exec sleep %d"]
      }
    }
  }
}
`, version, sec)
	}
	if r := a.cli("job run", "-detach", writeFile(t, "sticky1.hcl", src("v1"))); r.code != 0 {
		a.fatalf("job run v1: %s", r)
	}
	first := a.waitAllocs("sticky", "the first allocation running", func(al []alloc) (bool, string) {
		return len(al) == 1 && al[0].ClientStatus == "running", describeAllocs(al)
	})[0]
	hist := func(id string) string {
		b, _ := os.ReadFile(filepath.Join(a.dataDir, "client", "alloc", id, "alloc", "data", "history"))
		return string(b)
	}
	a.waitFor("the first allocation's history", func() (bool, string) { h := hist(first.ID); return h == "v1\n", h })
	if r := a.cli("job run", "-detach", writeFile(t, "sticky2.hcl", src("v2"))); r.code != 0 {
		a.fatalf("job run v2: %s", r)
	}
	var second alloc
	a.waitAllocs("sticky", "the replacement running", func(al []alloc) (bool, string) {
		for _, x := range al {
			if x.ID != first.ID && x.ClientStatus == "running" {
				second = x
				return true, ""
			}
		}
		return false, describeAllocs(al)
	})
	a.waitFor("the replacement's history to hold both versions", func() (bool, string) {
		h := hist(second.ID)
		return h == "v1\nv2\n", fmt.Sprintf("history %q", h)
	})
}
