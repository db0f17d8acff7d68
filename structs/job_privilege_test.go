package structs

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestJobPrivilegedReasons(t *testing.T) {
	job := func(tasks ...*Task) *Job {
		return &Job{ID: "j", Groups: []*TaskGroup{{Name: "api", Tasks: tasks}}}
	}
	cases := []struct {
		name string
		job  *Job
		want []string
	}{
		{"nil job", nil, nil},
		{"exec as an unprivileged user", job(&Task{Name: "web", Driver: "exec", User: "nobody"}), nil},
		{"exec isolated explicitly", job(&Task{Name: "web", Driver: "exec", User: "nobody", Config: map[string]any{"isolation": "chroot"}}), nil},
		{"exec without isolation", job(&Task{Name: "web", Driver: "exec", User: "nobody", Config: map[string]any{"isolation": "none"}}),
			[]string{`task "web" in group "api" sets isolation = "none" (sees the host's / and processes)`}},
		{"exec without user", job(&Task{Name: "web", Driver: "exec"}),
			[]string{`task "web" in group "api" sets no user, so it runs as the client agent's user (root on most nodes)`}},
		{"exec as root", job(&Task{Name: "web", Driver: "exec", User: "root"}),
			[]string{`task "web" in group "api" runs as user "root"`}},
		{"exec as uid 0 with a group", job(&Task{Name: "web", Driver: "exec", User: "0:0"}),
			[]string{`task "web" in group "api" runs as user "0:0"`}},
		{"raw_exec as nobody", job(&Task{Name: "web", Driver: "raw_exec", User: "nobody"}),
			[]string{`task "web" in group "api" uses the raw_exec driver (no isolation)`}},
		{"raw_exec without user", job(&Task{Name: "web", Driver: "raw_exec"}), []string{
			`task "web" in group "api" uses the raw_exec driver (no isolation)`,
			`task "web" in group "api" sets no user, so it runs as the client agent's user (root on most nodes)`,
		}},
		{"docker without user is the image's user", job(&Task{Name: "c", Driver: "docker", Config: map[string]any{"image": "alpine"}}), nil},
		{"docker as root is the container's root", job(&Task{Name: "c", Driver: "docker", User: "root", Config: map[string]any{"image": "alpine"}}), nil},
		{"docker named volume", job(&Task{Name: "c", Driver: "docker", Config: map[string]any{"image": "alpine", "volumes": []any{"data:/data", "my_vol.2:/x:ro"}}}), nil},
		{"docker bind mounts", job(&Task{Name: "c", Driver: "docker", Config: map[string]any{"image": "alpine", "volumes": []any{"/etc:/host-etc:ro", "data:/data", "./rel:/rel"}}}), []string{
			`task "c" in group "api" bind-mounts host path "/etc" into its container`,
			`task "c" in group "api" bind-mounts host path "./rel" into its container`,
		}},
		{"docker bind mount from Go", job(&Task{Name: "c", Driver: "docker", Config: map[string]any{"volumes": []string{"/:/host"}}}),
			[]string{`task "c" in group "api" bind-mounts host path "/" into its container`}},
		{"docker privileged", job(&Task{Name: "c", Driver: "docker", Config: map[string]any{"image": "alpine", "privileged": true}}),
			[]string{`task "c" in group "api" runs a privileged docker container`}},
		{"docker privileged false", job(&Task{Name: "c", Driver: "docker", Config: map[string]any{"image": "alpine", "privileged": false}}), nil},
		{"third-party driver as root", job(&Task{Name: "h", Driver: "hello", User: "root"}),
			[]string{`task "h" in group "api" runs as user "root"`}},
		{"third-party driver without user", job(&Task{Name: "h", Driver: "hello"}), nil},
		{"remote run", &Job{ID: "run-ab12", Meta: map[string]string{RunMetaKey: "sync"},
			Groups: []*TaskGroup{{Name: RunGroup, Tasks: []*Task{{Name: RunTask, Driver: "raw_exec", User: "nobody"}}}}},
			[]string{`remote run "run-ab12" uses the raw_exec driver (no isolation)`}},
		{"one finding per task, in order", &Job{ID: "j", Groups: []*TaskGroup{
			{Name: "a", Tasks: []*Task{{Name: "ok", Driver: "exec", User: "app"}, {Name: "bad", Driver: "exec", User: "root"}}},
			{Name: "b", Tasks: []*Task{{Name: "raw", Driver: "raw_exec", User: "app"}}},
		}}, []string{`task "bad" in group "a" runs as user "root"`, `task "raw" in group "b" uses the raw_exec driver (no isolation)`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := c.job.PrivilegedReasons()
			if !slices.Equal(got, c.want) {
				t.Fatalf("PrivilegedReasons:\n got  %q\n want %q", got, c.want)
			}
		})
	}
}

// A job decoded from the JSON API is judged like one built in Go.
func TestJobPrivilegedReasonsFromJSON(t *testing.T) {
	src := `{"id": "j", "groups": [{"name": "g", "tasks": [{"name": "c", "driver": "docker",
	  "config": {"image": "alpine", "privileged": true, "volumes": ["/var/run/docker.sock:/var/run/docker.sock"]}}]}]}`
	var j Job
	if err := json.Unmarshal([]byte(src), &j); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`task "c" in group "g" runs a privileged docker container`,
		`task "c" in group "g" bind-mounts host path "/var/run/docker.sock" into its container`,
	}
	if got := j.PrivilegedReasons(); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
