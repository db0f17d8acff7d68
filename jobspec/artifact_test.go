package jobspec

import (
	"strings"
	"testing"

	"github.com/appmesh/appmesh/structs"
)

// An artifact block in Nomad's syntax, options included, decodes into the
// task; the JSON form uses the same snake_case names.
func TestArtifactParse(t *testing.T) {
	sum := "sha256:" + strings.Repeat("ab", 32)
	job := parseHCLString(t, wrapTask(`      driver = "exec"
      artifact {
        source      = "https://example.com/app.tar.gz"
        destination = "local/app"
        mode        = "dir"
        options {
          archive  = false
          checksum = "`+sum+`"
        }
        headers {
          X-Token = "t"
        }
      }
      artifact {
        source   = "https://example.com/b.txt"
        checksum = "md5:`+strings.Repeat("0", 32)+`"
      }`))
	arts := job.Groups[0].Tasks[0].Artifacts
	if len(arts) != 2 {
		t.Fatalf("artifacts = %d, want 2", len(arts))
	}
	a := arts[0]
	if a.Source != "https://example.com/app.tar.gz" || a.Destination != "local/app" || a.Mode != "dir" ||
		a.Options["archive"] != "false" || a.EffectiveChecksum() != sum || a.Headers["X-Token"] != "t" || a.Unpack() {
		t.Fatalf("artifact = %+v", a)
	}
	if arts[1].DestinationOrDefault() != "local/" || arts[1].ModeOrDefault() != "any" {
		t.Fatalf("defaults = %+v", arts[1])
	}

	js := `{"job": {"id": "j", "groups": [{"name": "g", "tasks": [{"name": "t", "driver": "exec",
	  "artifacts": [{"source": "https://example.com/x", "destination": "local/x", "mode": "file", "checksum": "` + sum + `"}]}]}]}}`
	jj, err := Parse("j.json", []byte(js), "json")
	if err != nil {
		t.Fatalf("parse json: %v", err)
	}
	if got := jj.Groups[0].Tasks[0].Artifacts; len(got) != 1 || got[0].Mode != "file" || got[0].Checksum != sum {
		t.Fatalf("json artifacts = %+v", got)
	}
}

// Bad artifacts are refused at validation with a message naming the fault.
func TestArtifactValidate(t *testing.T) {
	cases := map[string]struct {
		a    structs.TaskArtifact
		want string
	}{
		"empty source":    {structs.TaskArtifact{}, "source is required"},
		"relative source": {structs.TaskArtifact{Source: "app.tgz"}, "must be an http(s) URL"},
		"git getter":      {structs.TaskArtifact{Source: "git::https://x/y"}, `the "git" getter is not supported`},
		"s3 scheme":       {structs.TaskArtifact{Source: "s3://b/k"}, `scheme "s3" is not supported`},
		"abs destination": {structs.TaskArtifact{Source: "https://x/a", Destination: "/etc"}, "must be relative"},
		"dotdot":          {structs.TaskArtifact{Source: "https://x/a", Destination: "local/../../x"}, "leaves the task's directory"},
		"bad mode":        {structs.TaskArtifact{Source: "https://x/a", Mode: "tree"}, `mode "tree" is invalid`},
		"no colon":        {structs.TaskArtifact{Source: "https://x/a", Checksum: "abc"}, "must be <type>:<hex>"},
		"bad algo":        {structs.TaskArtifact{Source: "https://x/a", Checksum: "crc32:00"}, `checksum type "crc32" is not supported`},
		"short digest":    {structs.TaskArtifact{Source: "https://x/a", Checksum: "sha256:abcd"}, "a sha256 digest is 64 hex digits"},
		"unknown option":  {structs.TaskArtifact{Source: "https://x/a", Options: map[string]string{"ref": "v1"}}, `"ref" is not supported by appmesh`},
	}
	for name, c := range cases {
		err := c.a.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
	ok := structs.TaskArtifact{Source: "/srv/a.tgz", Checksum: "sha1:" + strings.Repeat("a", 40)}
	if err := ok.Validate(); err != nil {
		t.Errorf("valid artifact: %v", err)
	}
}
