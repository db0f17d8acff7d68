// Package appmeshapi maps App Mesh's application JSON (the body of its REST
// API under /appmesh/) onto appmesh's own model and back. An App Mesh
// application is a job of one group and one task pinned to the node of the
// agent that received it, or, with a selector (cluster.go), placed on the
// nodes the selector picks. The HTTP handlers live in command/agent
// (http_appmesh_*.go); this package holds what needs no server: parsing,
// validation, the job it becomes, the JSON it reads back as, and the
// permission table.
package appmeshapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// App is the part of an App Mesh application that appmesh honours.
type App struct {
	Name        string
	Command     string
	Shell       bool
	Description string
	WorkingDir  string
	// Enabled is App Mesh's status: 1 enabled (default), 0 disabled.
	Enabled bool
	Env     map[string]string
	// Exit is behavior.exit: "standby" (default: run once, stay stopped),
	// "restart", "keepalive" or "remove"; Control is behavior.control, an
	// action per exit code that wins over Exit (app_behavior.go).
	Exit    string
	Control map[int]string
	// Schedule is the time range, daily window and launch pattern
	// (app_schedule.go); Task the settings of the task (app_task.go).
	Schedule Schedule
	Task     TaskSettings
	// Condition and Replication make a cluster application (cluster.go):
	// nil and 0 when unset.
	Condition   map[string]string
	Replication int
}

// Behaviour on exit that appmesh can honour, and what each becomes.
const (
	ExitStandby = "standby" // batch job, never restarted
	ExitRestart = "restart" // service job, restarted by the client
)

// supported are the settings parsed into App.
var supported = map[string]bool{
	"name": true, "command": true, "shell": true, "description": true,
	"working_dir": true, "status": true, "env": true, "behavior": true,
	"start_time": true, "end_time": true, "daily_limitation": true,
	"start_interval_seconds": true, "interval": true, "cron": true,
	"start_interval_timeout": true, "retention": true,
	"docker_image": true, "resource_limit": true, "health_check_cmd": true,
	"sec_env": true, "metadata": true, "stdout_cache_num": true,
	"condition": true, "replication": true,
}

// coreFields are the settings where an empty value is a value (status 0,
// shell false, env {}); for the others an empty value means unset.
var coreFields = map[string]bool{
	"name": true, "command": true, "shell": true, "description": true,
	"working_dir": true, "status": true, "env": true, "behavior": true,
}

// runtimeFields are App Mesh's read-only state. Its SDKs send an
// application back whole (after a GET), so these are accepted with any
// value: they describe a process, they are not settings to honour.
var runtimeFields = map[string]bool{
	"pid": true, "return": true, "health": true, "register_time": true, "starts": true,
	"owner": true, "pstree": true, "container_id": true, "memory": true, "cpu": true,
	"fd": true, "last_start_time": true, "last_exit_time": true, "last_error": true,
	"next_start_time": true, "stdout_cache_size": true, "version": true, "process_uuid": true,
	"task_id": true, "task_status": true,
}

// unsupported are App Mesh settings appmesh cannot honour yet: null or an
// empty value (the SDKs' "unset", see isEmpty) is fine, any other value is
// refused with the reason.
var unsupported = map[string]string{
	"session_login": "login sessions are not supported: the task runs with the agent's environment",
	"permission": "per-application permission has no equivalent in appmesh (its ACL policies decide who may " +
		"read or change a job): only null or 0 (App Mesh's default) is accepted",
	"keep_running": "keep_running is not supported; use behavior.exit \"restart\"",
	"envs":         "envs is App Mesh's old name: use env",
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ParseApp reads an application body. urlName is the name in the path
// ("" when there is none, for a run); a name in the body must match it.
// Every key is either honoured, a runtime field, null, or an error.
func ParseApp(body []byte, urlName string) (*App, error) {
	return ParseAppWith(body, urlName, ParseOptions{})
}

// ParseOptions are what callers other than the REST API change.
type ParseOptions struct {
	// NameSource names where urlName came from, for the mismatch error
	// ("the URL" when empty): a Consul KV cluster task's key, for one.
	NameSource string
}

// ParseAppWith is ParseApp with the options.
func ParseAppWith(body []byte, urlName string, opts ParseOptions) (*App, error) {
	what := "application"
	if urlName != "" {
		what = fmt.Sprintf("application %q", urlName)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%s: invalid JSON: %w", what, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%s: the body must be a JSON object", what)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	app := &App{Enabled: true, Exit: ExitStandby}
	for _, k := range keys {
		v := raw[k]
		isNull := bytes.Equal(bytes.TrimSpace(v), []byte("null"))
		switch {
		case runtimeFields[k]:
			continue
		case unsupported[k] != "":
			if !isNull && !isEmpty(v) {
				return nil, fmt.Errorf("%s: field %q: %s", what, k, unsupported[k])
			}
			continue
		case !supported[k]:
			return nil, fmt.Errorf("%s: field %q: unknown field", what, k)
		case isNull, !coreFields[k] && isEmpty(v):
			// App Mesh's SDKs send unset settings as empty values too.
			continue
		}
		if err := app.set(k, v); err != nil {
			return nil, fmt.Errorf("%s: field %q: %w", what, k, err)
		}
	}
	return app, app.finish(urlName, opts.NameSource)
}

// isEmpty reports a value that asks for nothing: false, 0, "", [] or an
// object whose every value is empty. App Mesh's SDKs and samples send
// unset settings this way too ("cron": false, "daily_limitation":
// {"daily_start": "", "daily_end": ""}).
func isEmpty(v json.RawMessage) bool {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return false
	}
	return emptyValue(x)
}

func emptyValue(x any) bool {
	switch x := x.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, e := range x {
			if !emptyValue(e) {
				return false
			}
		}
		return true
	}
	return false
}

func (a *App) set(k string, v json.RawMessage) error {
	switch k {
	case "name":
		return json.Unmarshal(v, &a.Name)
	case "command":
		return json.Unmarshal(v, &a.Command)
	case "shell":
		return json.Unmarshal(v, &a.Shell)
	case "description":
		return json.Unmarshal(v, &a.Description)
	case "working_dir":
		return json.Unmarshal(v, &a.WorkingDir)
	case "env":
		return json.Unmarshal(v, &a.Env)
	case "status":
		var s int
		if err := json.Unmarshal(v, &s); err != nil || (s != 0 && s != 1) {
			return fmt.Errorf("must be 1 (enabled) or 0 (disabled), got %s", v)
		}
		a.Enabled = s == 1
	case "behavior":
		return a.setBehavior(v)
	}
	return a.setMore(k, v)
}

// setMore reads the schedule and task settings.
func (a *App) setMore(k string, v json.RawMessage) (err error) {
	switch k {
	case "start_time":
		a.Schedule.Start, err = parseAppTime(v)
	case "end_time":
		a.Schedule.End, err = parseAppTime(v)
	case "daily_limitation":
		err = a.Schedule.setDaily(v)
	case "start_interval_seconds", "interval":
		err = a.Schedule.setInterval(v)
	case "cron":
		err = json.Unmarshal(v, &a.Schedule.cronFlag)
	case "start_interval_timeout", "retention":
		err = a.Task.setRetention(v)
	case "docker_image":
		err = json.Unmarshal(v, &a.Task.DockerImage)
	case "resource_limit":
		err = a.Task.setResources(v)
	case "health_check_cmd":
		err = json.Unmarshal(v, &a.Task.HealthCheck)
	case "sec_env":
		err = a.Task.setSecEnv(v)
	case "metadata":
		err = a.Task.setMetadata(v)
	case "stdout_cache_num":
		err = a.Task.setStdoutCacheNum(v)
	case "condition":
		err = a.setCondition(v)
	case "replication":
		err = a.setReplication(v)
	}
	return err
}

// decodeStrict decodes an object refusing unknown keys.
func decodeStrict(v json.RawMessage, out any) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// isUnset reports an absent, null or empty value.
func isUnset(v json.RawMessage) bool {
	return len(bytes.TrimSpace(v)) == 0 || isEmpty(v)
}

func (a *App) finish(urlName, nameSource string) error {
	if a.Name == "" {
		a.Name = urlName
	}
	if nameSource == "" {
		nameSource = "the URL"
	}
	if urlName != "" && a.Name != urlName {
		return fmt.Errorf("application %q: name %q in the body does not match %s", urlName, a.Name, nameSource)
	}
	if a.Name != "" && !validName.MatchString(a.Name) {
		return fmt.Errorf("application name %q: use up to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", a.Name)
	}
	if strings.TrimSpace(a.Command) == "" && a.Task.DockerImage == "" {
		return fmt.Errorf("application %q: field \"command\" is required", a.Name)
	}
	if _, err := a.Argv(); err != nil {
		return fmt.Errorf("application %q: field \"command\": %w", a.Name, err)
	}
	if err := a.Schedule.finish(); err != nil {
		return fmt.Errorf("application %q: %w", a.Name, err)
	}
	if err := a.checkBehavior(); err != nil {
		return fmt.Errorf("application %q: %w", a.Name, err)
	}
	if a.Task.DockerImage != "" && a.WorkingDir != "" {
		return fmt.Errorf("application %q: field \"working_dir\": not supported with docker_image (the image sets it)", a.Name)
	}
	if urlName == "" && a.IsCluster() {
		return fmt.Errorf("condition and replication are for registered applications: a run starts on this agent's node")
	}
	if urlName == "" {
		return a.checkRun()
	}
	return nil
}

// checkRun refuses, for a remote run (a body without a URL name), the
// settings of a registered application: a run starts once, now, on the
// host.
func (a *App) checkRun() error {
	s := &a.Schedule
	switch {
	case s.IntervalRaw != nil || s.cronFlag || !s.Start.IsZero() || !s.End.IsZero() || s.Daily != nil:
		return fmt.Errorf("a run starts now and once: schedule fields (start_time, end_time, daily_limitation, " +
			"start_interval_seconds, cron) are for registered applications")
	case a.Task.DockerImage != "":
		return fmt.Errorf("field \"docker_image\": runs are not supported for docker applications (as in App Mesh)")
	case len(a.Control) > 0 || a.Task.RetentionRaw != nil:
		return fmt.Errorf("behavior.control and retention are for registered applications, not runs")
	}
	return nil
}

// Argv is the command as an argv: with shell, /bin/sh -c and the command
// as the user wrote it; without, the command split like a shell splits
// words (quotes, no expansion).
func (a *App) Argv() ([]string, error) {
	if a.Task.DockerImage != "" && strings.TrimSpace(a.Command) == "" {
		return nil, nil // the image's own command
	}
	if a.Shell {
		return []string{"/bin/sh", "-c", a.Command}, nil
	}
	return SplitCommand(a.Command)
}
