package taskrunner

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
)

func testNode() *structs.Node {
	return &structs.Node{ID: "node-id-1", Name: "n1", Datacenter: "dc1",
		Attributes: map[string]string{"kernel.name": "linux", "cpu.arch": "amd64"},
		Meta:       map[string]string{"rack": "r7"}}
}

func renderString(t *testing.T, tmpl *structs.Template, in *templateInput) (*rendered, error) {
	t.Helper()
	if tmpl.Destination == "" {
		tmpl.Destination = "local/out"
	}
	return renderTemplate(context.Background(), t.TempDir(), tmpl, in)
}

// The functions appmesh gives templates: env (task env first, then node
// variables), the string helpers, and custom delimiters.
func TestTemplateRender_Functions(t *testing.T) {
	in := &templateInput{env: map[string]string{"GREETING": "hi", "LIST": "a, b ,c", "N": " 42 ", "B": "true"}, node: testNode()}
	cases := map[string]struct{ data, want string }{
		"env":         {`{{ env "GREETING" }}`, "hi"},
		"env missing": {`[{{ env "NOPE" }}]`, "[]"},
		"node":        {`{{ env "node.unique.name" }} {{ env "node.unique.id" }} {{ env "node.datacenter" }}`, "n1 node-id-1 dc1"},
		"attr meta":   {`{{ env "attr.kernel.name" }}/{{ env "meta.rack" }}`, "linux/r7"},
		"case":        {`{{ env "GREETING" | toUpper }}{{ "X" | toLower }}`, "HIx"},
		"split join":  {`{{ range env "LIST" | split "," }}<{{ trimSpace . }}>{{ end }} {{ env "LIST" | split "," | join "|" }}`, "<a><b><c> a| b |c"},
		"parseInt":    {`{{ if eq (env "N" | parseInt) 42 }}yes{{ end }} {{ parseBool (env "B") }} {{ parseFloat "1.5" }}`, "yes true 1.5"},
		"toJSON":      {`{{ split "," "a,b" | toJSON }}`, `["a","b"]`},
		"contains":    {`{{ if contains "b" "abc" }}ok{{ end }} {{ replaceAll "-" "_" "a-b" }}`, "ok a_b"},
	}
	for name, c := range cases {
		r, err := renderString(t, &structs.Template{Data: c.data}, in)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.text != c.want || r.dynamic {
			t.Errorf("%s: got %q (dynamic %v), want %q", name, r.text, r.dynamic, c.want)
		}
	}
	r, err := renderString(t, &structs.Template{Data: `[[ env "GREETING" ]] {{ kept }}`, LeftDelim: "[[", RightDelim: "]]"}, in)
	if err != nil || r.text != "hi {{ kept }}" {
		t.Fatalf("delimiters: %q, %v", r.text, err)
	}
}

// Errors name what is wrong: unknown functions, bad numbers, Consul
// functions without the Consul integration.
func TestTemplateRender_Errors(t *testing.T) {
	in := &templateInput{env: map[string]string{"N": "x"}}
	cases := map[string]struct{ data, want string }{
		"unknown func":  {`{{ nomadVar "x" }}`, `function "nomadVar" not defined`},
		"syntax":        {`{{ env "A" `, "parse: "},
		"parseInt":      {`{{ env "N" | parseInt }}`, `parsing "x": invalid syntax`},
		"no consul":     {`{{ key "app/x" }}`, "the Consul integration is not enabled on this client"},
		"no consul svc": {`{{ range service "db" }}{{ end }}`, "the Consul integration is not enabled on this client"},
	}
	for name, c := range cases {
		_, err := renderString(t, &structs.Template{Data: c.data}, in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

// env = true templates are KEY=VALUE files: comments, export and quotes
// are understood; a line that is not KEY=VALUE is an error naming it.
func TestTemplateEnvFile(t *testing.T) {
	env, err := parseEnvFile("# comment\n\nA=1\nexport B = two words \nC=\"x=\\\"y\\\"\\nz\"\nD='single'\nE=\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "x=\"y\"\nz", "D": "single", "E": ""}
	if len(env) != len(want) {
		t.Fatalf("env = %q, want %q", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for _, bad := range []string{"A=1\njust text\n", "=value", "MY KEY=1"} {
		if _, err := parseEnvFile(bad); err == nil || !strings.Contains(err.Error(), "is not KEY=VALUE") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	_, err = parseEnvFile("A=1\njust text\n")
	if !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error does not name the line: %v", err)
	}
}

// Files stay inside the task directory: "../" and absolute destinations
// are refused, and a symlink the task planted (a directory or the source)
// does not lead the client's writes or reads outside.
func TestTemplateWrite_Confined(t *testing.T) {
	taskDir, outside := t.TempDir(), t.TempDir()
	for _, dest := range []string{"../escape", "/etc/appmesh-test", "local/../../escape"} {
		err := writeTemplateFile(taskDir, &structs.Template{Destination: dest}, "x")
		if err == nil {
			t.Errorf("%s: written", dest)
		}
	}
	if err := os.Symlink(outside, filepath.Join(taskDir, "local")); err != nil {
		t.Fatal(err)
	}
	err := writeTemplateFile(taskDir, &structs.Template{Destination: "local/app.conf"}, "x")
	if err == nil {
		t.Fatalf("write through a symlinked directory succeeded")
	}
	if _, serr := os.Stat(filepath.Join(outside, "app.conf")); !os.IsNotExist(serr) {
		t.Fatalf("file written outside the task directory (stat: %v)", serr)
	}
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(taskDir, "tpl")); err != nil {
		t.Fatal(err)
	}
	_, err = renderTemplate(context.Background(), taskDir, &structs.Template{Source: "tpl", Destination: "out"}, &templateInput{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("source through a symlink out of the task directory: %v", err)
	}
	// A symlink at the destination itself is replaced, not followed.
	target := filepath.Join(outside, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(taskDir, "link.conf")); err != nil {
		t.Fatal(err)
	}
	if err := writeTemplateFile(taskDir, &structs.Template{Destination: "link.conf", Perms: "0600"}, "new"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("write followed the symlink: target = %q", b)
	}
	fi, err := os.Lstat(filepath.Join(taskDir, "link.conf"))
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("destination = %v, %v; want a regular 0600 file", fi, err)
	}
}

// A task sees its rendered file and the env template's variables; node
// variables reach the file. The source of the second template is a file
// in the task directory.
func TestTaskRunner_TemplateFileAndEnv(t *testing.T) {
	tr, dir := newRunner(t, `cat local/app.conf; echo "db=$DB_HOST greeting=$GREETING"`)
	tr.node = testNode
	tr.task.Templates = []*structs.Template{
		{Data: "node={{ env \"node.unique.name\" }} rack={{ env \"meta.rack\" }} greet={{ env \"GREETING\" }}\n", Destination: "local/app.conf"},
		{Data: "DB_HOST=db.{{ env \"node.datacenter\" }}\nGREETING=overridden\n", Destination: "secrets/db.env", Env: true, Perms: "0600"},
	}
	tr.hooks = append(tr.hooks, templateHookFor(tr, nil, false))
	runAsync(t, tr)
	waitDone(t, tr, 30*time.Second)
	if s := tr.State(); s.Failed {
		t.Fatalf("task failed: %+v", s.Events)
	}
	out, err := readFile(dir.LogPath("web", "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	want := "node=n1 rack=r7 greet=hi\ndb=db.dc1 greeting=overridden\n"
	if out != want {
		t.Fatalf("stdout = %q, want %q", out, want)
	}
	fi, err := os.Stat(filepath.Join(dir.TaskDir("web"), "secrets", "db.env"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("env file mode = %v, %v", fi, err)
	}
}

// A template that cannot be rendered fails the task before it starts,
// with a Template Failure event giving the reason; it is not restarted.
func TestTaskRunner_TemplateFailure(t *testing.T) {
	tr, dir := newRunner(t, `echo started`)
	tr.task.Templates = []*structs.Template{{Data: `{{ env "A" | parseInt }}`, Destination: "local/x"}}
	tr.hooks = append(tr.hooks, templateHookFor(tr, nil, false))
	runAsync(t, tr)
	waitDone(t, tr, 30*time.Second)
	s := tr.State()
	ev := hasEvent(s, structs.TaskEventTemplateFailure)
	if !s.Failed || ev == nil || !strings.Contains(ev.Message, "template local/x") ||
		!strings.Contains(ev.Message, `parsing "": invalid syntax`) || ev.Error == "" {
		t.Fatalf("want a failed task with a Template Failure event, got failed=%v %+v", s.Failed, s.Events)
	}
	if s.Restarts != 0 || hasEvent(s, structs.TaskEventStarted) != nil {
		t.Fatalf("task started or restarted: %+v", s)
	}
	if out, _ := readFile(dir.LogPath("web", "stdout")); out != "" {
		t.Fatalf("stdout = %q", out)
	}
}

// A Consul that cannot be reached (a real client, a port nobody listens
// on) is an errConsulLookup, the one error the first render retries.
func TestTemplateConsulDownIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := consul.NewAPI(consul.APIConfig{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	down := consul.NewServiceClient(consul.ServiceConfig{API: c})
	r, err := renderString(t, &structs.Template{Data: `{{ key "a" }}`}, &templateInput{consul: down})
	if !errors.Is(err, errConsulLookup) || r != nil {
		t.Fatalf("render err = %v, want it to wrap errConsulLookup", err)
	}
	_, err = renderString(t, &structs.Template{Data: `{{ nope }}`}, &templateInput{consul: down})
	if err == nil || errors.Is(err, errConsulLookup) {
		t.Fatalf("a template error is not a Consul error: %v", err)
	}
}

// A re-render keeps the owner the task's user was given with the task
// directory, so a 0600 file stays readable by the task; uid/gid win.
func TestTemplateWrite_KeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	taskDir := t.TempDir()
	tmpl := &structs.Template{Destination: "local/a.conf", Perms: "0600"}
	if err := writeTemplateFile(taskDir, tmpl, "v1"); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(taskDir, "local", "a.conf")
	if err := os.Lchown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := writeTemplateFile(taskDir, tmpl, "v2"); err != nil {
		t.Fatal(err)
	}
	if uid, gid := fileOwner(t, p); uid != 65534 || gid != 65534 {
		t.Fatalf("owner after re-render = %d:%d, want 65534:65534", uid, gid)
	}
	uid := 1234
	tmpl.UID = &uid
	if err := writeTemplateFile(taskDir, tmpl, "v3"); err != nil {
		t.Fatal(err)
	}
	if got, _ := fileOwner(t, p); got != 1234 {
		t.Fatalf("uid = %d, want the template's 1234", got)
	}
}

func fileOwner(t *testing.T, p string) (uint32, uint32) {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return st.Uid, st.Gid
}

// After an agent restart re-attached to the task, the files on disk are
// the last render: a later restart (without render_templates) gives the
// task the env file's values as they were rendered, not re-rendered ones.
func TestTemplateHook_Reattached(t *testing.T) {
	tr, dir := newRunner(t, "true")
	tr.task.Templates = []*structs.Template{{Data: "A={{ env \"GREETING\" }}\n", Destination: "local/a.env", Env: true}}
	h := templateHookFor(tr, nil, false).(*templateHook)
	h.pollInterval = time.Hour // no re-render during the test
	taskDir, err := dir.BuildTaskDir("web")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(taskDir, "local"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(taskDir, "local", "a.env"), []byte("A=from-disk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Reattached(context.Background())
	t.Cleanup(h.stopWatch)
	cfg := &drivers.TaskConfig{TaskDir: taskDir, Env: map[string]string{"APPMESH_TASK_NAME": "web"}}
	if err := h.Prestart(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Env["A"] != "from-disk" || cfg.Env["APPMESH_TASK_NAME"] != "web" {
		t.Fatalf("env after re-attach and restart = %v", cfg.Env)
	}
}
