package agent

import (
	"strings"
	"testing"
)

// chroot_env is read from the client block as a map of host path to path
// inside the task's root, and entries that cannot work are refused.
func TestChrootEnvConfig(t *testing.T) {
	cfg, err := loadGCConfig(t, `client {
  enabled = true
  chroot_env = {
    "/bin"         = "/bin"
    "/usr"         = "/usr"
    "/opt/tools"   = "/usr/local/tools"
  }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Client.ChrootEnv; len(got) != 3 || got["/opt/tools"] != "/usr/local/tools" {
		t.Fatalf("chroot_env = %v", got)
	}
	_, err = loadGCConfig(t, `client {
  enabled = true
  chroot_env = {
    "bin"  = "/bin"
    "/etc" = "/"
  }
}
`)
	if err == nil {
		t.Fatal("a relative source and a mount over / were accepted")
	}
	for _, want := range []string{`chroot_env "bin" = "/bin": both paths must be absolute`, `chroot_env "/etc" = "/": the task's root itself`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
