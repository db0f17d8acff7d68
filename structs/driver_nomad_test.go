package structs

import (
	"strings"
	"testing"
)

func TestMissingDriverReason(t *testing.T) {
	if got := MissingDriverReason("docker"); got != `missing driver "docker"` {
		t.Errorf("docker: %q", got)
	}
	got := MissingDriverReason("java")
	for _, want := range []string{`missing driver "java"`, "a Nomad driver appmesh does not include", "appmesh-driver-java"} {
		if !strings.Contains(got, want) {
			t.Errorf("java: %q lacks %q", got, want)
		}
	}
}
