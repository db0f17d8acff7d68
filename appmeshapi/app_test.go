package appmeshapi

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"echo hi", []string{"echo", "hi"}},
		{"  ping  github.com -w 300 ", []string{"ping", "github.com", "-w", "300"}},
		{`echo 'a b' "c \"d\"" e\ f`, []string{"echo", "a b", `c "d"`, "e f"}},
		{`echo '$HOME;x'`, []string{"echo", "$HOME;x"}},
		{`a''b`, []string{"ab"}},
	} {
		got, err := SplitCommand(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "   ", "echo 'x", `echo "x`, `echo x\`} {
		if got, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q) = %q, want an error", bad, got)
		}
	}
}

func TestParseApp(t *testing.T) {
	app, err := ParseApp([]byte(`{"name":"web","command":"sh -c 'exit 2'","shell":false,"status":0,
	  "env":{"A":"1"},"working_dir":"/tmp","behavior":{"exit":"restart","control":null},
	  "pid":1234,"return":0,"cron":false,"session_login":false,"start_time":"","envs":[],"stdout_cache_num":0,
	  "daily_limitation":{"daily_start":"","daily_end":""},"resource_limit":{"cpu_shares":null,"memory_mb":null}}`), "web")
	if err != nil {
		t.Fatal(err)
	}
	if app.Name != "web" || app.Enabled || app.Exit != ExitRestart || app.WorkingDir != "/tmp" || app.Env["A"] != "1" {
		t.Errorf("parsed %+v", app)
	}
	job, err := app.ToJob("node-1")
	if err != nil {
		t.Fatal(err)
	}
	task := job.Groups[0].Tasks[0]
	if job.Type != "service" || job.Groups[0].Count != 0 || task.Config["command"] != "sh" ||
		!reflect.DeepEqual(task.Config["args"], []any{"-c", "exit 2"}) || task.Config["work_dir"] != "/tmp" ||
		job.Constraints[0].Value != "node-1" || !IsAppJob(job) {
		t.Errorf("job %+v task %+v", job, task)
	}
	if v := View(job, nil); v["status"] != 0 || v["command"] != "sh -c 'exit 2'" {
		t.Errorf("view %v", v)
	}
	Enable(job)
	if v := View(job, nil); v["status"] != 1 {
		t.Errorf("enabled view %v", v)
	}

	for _, c := range []struct{ body, want string }{
		{`[]`, "invalid JSON"},
		{`{"command":"x","docker_image":"nginx"}`, `field "docker_image"`},
		{`{"command":"x","session_login":true}`, `field "session_login"`},
		{`{"command":"x","cron":true}`, `field "cron"`},
		{`{"command":"x","daily_limitation":{"daily_start":"09:00:00","daily_end":""}}`, `field "daily_limitation"`},
		{`{"command":"x","behavior":{"control":{"0":"restart"}}}`, "behavior.control"},
		{`{"command":"x","behavior":{"exit":"standby","other":1}}`, "unknown field"},
		{`{"command":"x","nope":null}`, `field "nope": unknown field`},
		{`{"command":""}`, `"command" is required`},
		{`{"command":"x","name":"../etc"}`, "application name"},
	} {
		_, err := ParseApp([]byte(c.body), "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseApp(%s) = %v, want an error with %q", c.body, err, c.want)
		}
	}
}
