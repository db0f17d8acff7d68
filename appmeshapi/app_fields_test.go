package appmeshapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// mustJob parses an application registered as "a" and turns it into the
// job, which must also pass the servers' own validation.
func mustJob(t *testing.T, body string) *structs.Job {
	t.Helper()
	app, err := ParseApp([]byte(body), "a")
	if err != nil {
		t.Fatalf("ParseApp(%s): %v", body, err)
	}
	job, err := app.ToJob("node-1")
	if err != nil {
		t.Fatalf("ToJob(%s): %v", body, err)
	}
	c := job.Copy()
	c.Canonicalize()
	if err := c.Validate(); err != nil {
		t.Fatalf("job of %s does not validate: %v", body, err)
	}
	return job
}

// wantErr checks that an application body registered as "a" is refused
// with an error containing want.
func wantErr(t *testing.T, body, want string) {
	t.Helper()
	_, err := ParseApp([]byte(body), "a")
	if err == nil {
		app, _ := ParseApp([]byte(body), "a")
		_, err = app.ToJob("node-1")
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: got %v, want an error with %q", body, err, want)
	}
}

func TestAppTimeRange(t *testing.T) {
	job := mustJob(t, `{"command":"x","start_time":1796000000,"end_time":"2030-01-02T03:04:05+08:00"}`)
	if job.StartTime != "2026-11-30T00:53:20Z" || job.EndTime != "2030-01-01T19:04:05Z" {
		t.Errorf("bounds %q %q", job.StartTime, job.EndTime)
	}
	for body, want := range map[string]string{
		`{"command":"x","start_time":"2020-10-11T09:22:05"}`:  "2020-10-11T09:22:05Z",
		`{"command":"x","start_time":"2020-10-11 09:22:05"}`:  "2020-10-11T09:22:05Z",
		`{"command":"x","start_time":"1602408125"}`:           "2020-10-11T09:22:05Z",
		`{"command":"x","start_time":"2020-10-11T09:22:05Z"}`: "2020-10-11T09:22:05Z",
	} {
		if got := mustJob(t, body).StartTime; got != want {
			t.Errorf("%s: start %q, want %q", body, got, want)
		}
	}
	wantErr(t, `{"command":"x","start_time":"yesterday"}`, `field "start_time"`)
	wantErr(t, `{"command":"x","start_time":2000,"end_time":1000}`, `"end_time"`)
	v := view(job, nil, time.Unix(1700000000, 0))
	if v["start_time"] != int64(1796000000) || v["end_time"] != int64(1893524645) || v["next_start_time"] != int64(1796000000) {
		t.Errorf("view %v %v %v", v["start_time"], v["end_time"], v["next_start_time"])
	}
}

func TestAppDailyLimitation(t *testing.T) {
	for body, want := range map[string][2]string{
		`{"daily_start":"09:00:00","daily_end":"18:00:00"}`:       {"09:00:00", "18:00:00"},
		`{"daily_start":"09:00:00+08","daily_end":"18:30+08:00"}`: {"01:00:00", "10:30:00"},
		`{"daily_start":3600,"daily_end":"7200"}`:                 {"01:00:00", "02:00:00"},
		`{"daily_start":1796000000,"daily_end":1796003600}`:       {"00:53:20", "01:53:20"}, // epoch seconds, kept modulo a day
		`{"daily_start":"22:00:00Z","daily_end":"06:00:00Z"}`:     {"22:00:00", "06:00:00"},
	} {
		job := mustJob(t, `{"command":"x","daily_limitation":`+body+`}`)
		w := job.Groups[0].Tasks[0].DailyWindow
		if w == nil || w.Start != want[0] || w.End != want[1] || w.TimeZone != "UTC" {
			t.Errorf("%s: window %+v, want %v", body, w, want)
		}
	}
	// Equal ends are App Mesh's whole day: no window.
	if w := mustJob(t, `{"command":"x","daily_limitation":{"daily_start":"09:00","daily_end":"09:00"}}`).Groups[0].Tasks[0].DailyWindow; w != nil {
		t.Errorf("equal ends made a window %+v", w)
	}
	v := View(mustJob(t, `{"command":"x","daily_limitation":{"daily_start":"09:00:00+08","daily_end":"18:00:00+08"}}`), nil)
	if d, _ := json.Marshal(v["daily_limitation"]); string(d) != `{"daily_end":36000,"daily_start":3600}` {
		t.Errorf("view daily_limitation %s", d)
	}
	wantErr(t, `{"command":"x","daily_limitation":{"daily_start":"09:00:00","daily_end":""}}`, "required together")
	wantErr(t, `{"command":"x","daily_limitation":{"daily_start":"25:00:00","daily_end":"09:00"}}`, "daily_start")
	wantErr(t, `{"command":"x","daily_limitation":{"daily_start":"09:00","daily_end":"10:00","tz":1}}`, "unknown field")
}

func TestAppIntervalAndCron(t *testing.T) {
	for body, want := range map[string]time.Duration{
		`30`:                 30 * time.Second,
		`"45"`:               45 * time.Second,
		`"PT1H"`:             time.Hour,
		`"P1W"`:              7 * 24 * time.Hour,
		`"PT1M30S"`:          90 * time.Second,
		`"P1DT2H3M4S"`:       26*time.Hour + 3*time.Minute + 4*time.Second,
		`"P1Y1M1W1DT1H1M1S"`: (365+30+8)*24*time.Hour + time.Hour + time.Minute + time.Second,
	} {
		job := mustJob(t, `{"command":"x","start_interval_seconds":`+body+`}`)
		if job.Periodic == nil || job.Periodic.Interval.Std() != want || job.Type != structs.JobTypeBatch {
			t.Errorf("interval %s: periodic %+v type %s, want %s", body, job.Periodic, job.Type, want)
		}
	}
	// App Mesh's newer name for the same setting.
	if job := mustJob(t, `{"command":"x","interval":"PT1M"}`); job.Periodic == nil || job.Periodic.Interval.Std() != time.Minute {
		t.Errorf("interval: %+v", job.Periodic)
	}
	job := mustJob(t, `{"command":"x","cron":true,"start_interval_seconds":"0 */5 * * * *","behavior":{"exit":"restart"}}`)
	if job.Periodic == nil || !reflect.DeepEqual(job.Periodic.Crons, []string{"0 */5 * * * *"}) || job.Type != structs.JobTypeBatch {
		t.Fatalf("cron job %+v %+v", job.Type, job.Periodic)
	}
	// restart on a cron application waits for the next launch: nothing
	// restarts the launch itself.
	if rp := job.Groups[0].Tasks[0].Restart; rp == nil || len(rp.OnExit) != 0 || rp.AttemptsOr(-1) != 0 {
		t.Errorf("cron restart policy %+v", rp)
	}
	v := view(job, nil, time.Date(2026, 12, 7, 10, 2, 0, 0, time.UTC))
	if v["cron"] != true || string(v["start_interval_seconds"].(json.RawMessage)) != `"0 */5 * * * *"` ||
		v["next_start_time"] != time.Date(2026, 12, 7, 10, 5, 0, 0, time.UTC).Unix() {
		t.Errorf("cron view %v %v %v", v["cron"], v["start_interval_seconds"], v["next_start_time"])
	}
	job = mustJob(t, `{"command":"x","start_interval_seconds":60}`)
	job.SubmitTime = time.Date(2026, 12, 7, 10, 0, 30, 0, time.UTC).UnixNano()
	if v := view(job, nil, time.Date(2026, 12, 7, 10, 2, 0, 0, time.UTC)); v["next_start_time"] != time.Date(2026, 12, 7, 10, 2, 30, 0, time.UTC).Unix() || v["cron"] != false {
		t.Errorf("interval view next %v", v["next_start_time"])
	}
	for body, want := range map[string]string{
		`{"command":"x","cron":true}`:                                              `"cron": true needs start_interval_seconds`,
		`{"command":"x","cron":true,"start_interval_seconds":"* * *"}`:             `"start_interval_seconds"`,
		`{"command":"x","cron":true,"start_interval_seconds":30}`:                  "cron expression",
		`{"command":"x","start_interval_seconds":"PT0S"}`:                          "at least 1 second",
		`{"command":"x","start_interval_seconds":"1h"}`:                            "ISO-8601 duration",
		`{"command":"x","start_interval_seconds":-5}`:                              "negative",
		`{"command":"x","start_interval_seconds":30,"interval":60}`:                "differ",
		`{"command":"x","start_interval_seconds":30,"behavior":{"exit":"remove"}}`: "remove is not supported on an interval",
	} {
		wantErr(t, body, want)
	}
}

func TestAppBehaviorControl(t *testing.T) {
	actions := func(job *structs.Job) map[int]string {
		m := map[int]string{}
		if rp := job.Groups[0].Tasks[0].Restart; rp != nil {
			for _, a := range rp.OnExit {
				m[a.Code] = a.Action
			}
		}
		return m
	}
	// restart everywhere: a service job, as before.
	if job := mustJob(t, `{"command":"x","behavior":{"exit":"restart"}}`); job.Type != structs.JobTypeService || job.Groups[0].Tasks[0].Restart != nil {
		t.Errorf("restart: %s %+v", job.Type, job.Groups[0].Tasks[0].Restart)
	}
	// restart but standby on 0: a batch job whose other codes restart at once.
	job := mustJob(t, `{"command":"x","behavior":{"exit":"restart","control":{"0":"standby","3":"remove"}}}`)
	m := actions(job)
	if job.Type != structs.JobTypeBatch || len(m) != 255 || m[0] != "" || m[1] != "keepalive" || m[3] != "remove" || m[255] != "keepalive" {
		t.Errorf("control: %s %d actions, 0=%q 1=%q 3=%q", job.Type, len(m), m[0], m[1], m[3])
	}
	if b, _ := json.Marshal(View(job, nil)["behavior"]); string(b) != `{"control":{"0":"standby","3":"remove"},"exit":"restart"}` {
		t.Errorf("view behavior %s", b)
	}
	// standby with a keepalive code.
	m = actions(mustJob(t, `{"command":"x","behavior":{"exit":"standby","control":{"2":"keepalive"}}}`))
	if len(m) != 1 || m[2] != "keepalive" {
		t.Errorf("standby+keepalive: %v", m)
	}
	// remove by default.
	if m = actions(mustJob(t, `{"command":"x","behavior":{"exit":"remove"}}`)); len(m) != 256 || m[0] != "remove" {
		t.Errorf("remove: %d actions", len(m))
	}
	if b, _ := json.Marshal(View(mustJob(t, `{"command":"x"}`), nil)["behavior"]); string(b) != `{"control":null,"exit":"standby"}` {
		t.Errorf("default behavior view %s", b)
	}
	wantErr(t, `{"command":"x","behavior":{"control":{"x":"restart"}}}`, "not an exit code")
	wantErr(t, `{"command":"x","behavior":{"control":{"256":"restart"}}}`, "not an exit code")
	wantErr(t, `{"command":"x","behavior":{"control":{"1":"explode"}}}`, `action "explode" is invalid`)
	wantErr(t, `{"command":"x","behavior":{"exit":"explode"}}`, `behavior.exit "explode" is invalid`)
}

func TestAppDockerImage(t *testing.T) {
	job := mustJob(t, `{"command":"sleep 30","docker_image":"busybox:1","env":{"A":"1"}}`)
	task := job.Groups[0].Tasks[0]
	if task.Driver != "docker" || task.Config["image"] != "busybox:1" || task.Config["command"] != "sleep" ||
		!reflect.DeepEqual(task.Config["args"], []any{"30"}) || task.Env["A"] != "1" {
		t.Errorf("docker task %+v", task)
	}
	if v := View(job, nil); v["docker_image"] != "busybox:1" || v["command"] != "sleep 30" {
		t.Errorf("view %v %v", v["docker_image"], v["command"])
	}
	// No command: the image's own.
	task = mustJob(t, `{"docker_image":"nginx"}`).Groups[0].Tasks[0]
	if _, ok := task.Config["command"]; ok || task.Config["image"] != "nginx" {
		t.Errorf("docker without command %+v", task.Config)
	}
	task = mustJob(t, `{"command":"echo $A","shell":true,"docker_image":"busybox"}`).Groups[0].Tasks[0]
	if task.Config["command"] != "/bin/sh" || !reflect.DeepEqual(task.Config["args"], []any{"-c", "echo $A"}) {
		t.Errorf("docker shell %+v", task.Config)
	}
	if v := View(mustJob(t, `{"command":"x"}`), nil); v["docker_image"] != nil {
		t.Errorf("docker_image of a host app %v", v["docker_image"])
	}
	wantErr(t, `{"command":"x","docker_image":"busybox","working_dir":"/tmp"}`, `"working_dir"`)
	wantErr(t, `{"command":"x","docker_image":3}`, `"docker_image"`)
}

func TestAppTaskSettings(t *testing.T) {
	job := mustJob(t, `{"command":"x","resource_limit":{"memory_mb":64,"cpu_shares":512,"memory_virt_mb":null},
	  "health_check_cmd":"test -f /tmp/ok","env":{"A":"1"},"sec_env":{"TOKEN":"s3cret"},
	  "metadata":{"k": [1, 2]},"stdout_cache_num":3,"retention":"PT30S"}`)
	task := job.Groups[0].Tasks[0]
	if task.Resources == nil || task.Resources.MemoryMB != 64 || task.Resources.CPU != 512 {
		t.Errorf("resources %+v", task.Resources)
	}
	if len(task.Checks) != 1 || task.Checks[0].Type != "script" || task.Checks[0].Command != "test" ||
		!reflect.DeepEqual(task.Checks[0].Args, []string{"-f", "/tmp/ok"}) {
		t.Errorf("checks %+v", task.Checks)
	}
	if task.Env["TOKEN"] != "s3cret" || task.Env["A"] != "1" {
		t.Errorf("env %v", task.Env)
	}
	if task.Logs == nil || task.Logs.MaxFiles != 3 || task.KillTimeout.Std() != 30*time.Second {
		t.Errorf("logs %+v kill_timeout %s", task.Logs, task.KillTimeout.Std())
	}
	v := View(job, &Process{Running: true, Unhealthy: true, StartTime: 5, Starts: 2})
	b, _ := json.Marshal(v)
	got := map[string]any{}
	_ = json.Unmarshal(b, &got)
	if strings.Contains(string(b), "s3cret") {
		t.Errorf("GET answers the secret: %s", b)
	}
	for k, want := range map[string]string{
		"env": `{"A":"1"}`, "sec_env": `{"TOKEN":"******"}`, "metadata": `{"k":[1,2]}`,
		"resource_limit": `{"cpu_shares":512,"memory_mb":64}`, "retention": `"PT30S"`, "stdout_cache_num": `3`,
		"health_check_cmd": `"test -f /tmp/ok"`, "health": `1`, "starts": `2`, "last_start_time": `5`,
		"pid": `null`, "permission": `null`, "daily_limitation": `null`, "next_start_time": `null`,
	} {
		if g, _ := json.Marshal(got[k]); string(g) != want {
			t.Errorf("view %s = %s, want %s", k, g, want)
		}
	}
	// Metadata text stays text.
	if v := View(mustJob(t, `{"command":"x","metadata":"hello"}`), nil); string(v["metadata"].(json.RawMessage)) != `"hello"` {
		t.Errorf("metadata %v", v["metadata"])
	}
	if kt := mustJob(t, `{"command":"x","start_interval_timeout":10}`).Groups[0].Tasks[0].KillTimeout.Std(); kt != 10*time.Second {
		t.Errorf("start_interval_timeout: kill_timeout %s", kt)
	}
	for body, want := range map[string]string{
		`{"command":"x","resource_limit":{"memory_virt_mb":300}}`:    "memory_virt_mb",
		`{"command":"x","resource_limit":{"memory_mb":-1}}`:          "negative",
		`{"command":"x","resource_limit":{"gpus":1}}`:                "unknown field",
		`{"command":"x","env":{"A":"1"},"sec_env":{"A":"2"}}`:        `"A" is also in env`,
		`{"command":"x","sec_env":{"A":1}}`:                          `"sec_env"`,
		`{"command":"x","stdout_cache_num":-2}`:                      `"stdout_cache_num"`,
		`{"command":"x","health_check_cmd":"curl 'x"}`:               `"health_check_cmd"`,
		`{"command":"x","retention":"soon"}`:                         `"retention"`,
		`{"command":"x","retention":10,"start_interval_timeout":20}`: "differ",
		`{"command":"x","permission":11}`:                            `"permission": per-application permission has no equivalent`,
		`{"command":"x","session_login":true}`:                       `"session_login"`,
	} {
		wantErr(t, body, want)
	}
	// The SDKs' unset values are accepted.
	mustJob(t, `{"command":"x","permission":0,"resource_limit":{"memory_mb":null,"cpu_shares":0,"memory_virt_mb":0},
	  "stdout_cache_num":0,"retention":"","metadata":null,"sec_env":{},"docker_image":"","cron":false,
	  "start_time":"","end_time":null,"daily_limitation":{"daily_start":null,"daily_end":null},"health_check_cmd":""}`)
}

// A remote run starts once, now, on the host: registered-application
// settings are refused for it.
func TestRunRefusesAppSettings(t *testing.T) {
	for _, body := range []string{
		`{"command":"x","start_interval_seconds":30}`,
		`{"command":"x","start_time":1796000000}`,
		`{"command":"x","docker_image":"busybox"}`,
		`{"command":"x","behavior":{"control":{"1":"restart"}}}`,
	} {
		if _, err := ParseApp([]byte(body), ""); err == nil {
			t.Errorf("run %s accepted", body)
		}
	}
	if _, err := ParseApp([]byte(`{"command":"x","env":{"A":"1"},"resource_limit":{"memory_mb":64}}`), ""); err != nil {
		t.Errorf("plain run refused: %v", err)
	}
}
