// Package appmeshapi maps App Mesh's application JSON (the body of its REST
// API under /appmesh/) onto appmesh's own model and back. An App Mesh
// application is a job of one group and one task pinned to the node of the
// agent that received it. The HTTP handlers live in command/agent
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
	// Exit is behavior.exit: "standby" (default: run once, stay stopped)
	// or "restart" (keep it running).
	Exit string
	// HealthCheckCmd is health_check_cmd, only read with
	// ParseOptions.HealthCheckCmd (see there).
	HealthCheckCmd string
}

// ParseOptions widens what ParseAppWith accepts beyond the REST API's
// applications.
type ParseOptions struct {
	// HealthCheckCmd accepts health_check_cmd. Only a caller that has
	// somewhere to run it sets this (a cluster task from Consul KV turns it
	// into its service's check); the REST API has none yet and refuses it.
	HealthCheckCmd bool
	// NameSource names where urlName came from, for the mismatch error
	// ("the URL" when empty).
	NameSource string
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
	"session_login":          "login sessions are not supported",
	"metadata":               "application metadata is not supported",
	"docker_image":           "docker applications are not supported through /appmesh/ yet (use a job with the docker driver)",
	"stdout_cache_num":       "appmesh keeps one output per process; stdout_cache_num is not supported",
	"start_time":             "start_time is not supported yet",
	"end_time":               "end_time is not supported yet",
	"interval":               "interval schedules are not supported yet",
	"start_interval_seconds": "interval schedules are not supported yet",
	"start_interval_timeout": "interval schedules are not supported yet",
	"cron":                   "cron schedules are not supported yet",
	"daily_limitation":       "daily_limitation is not supported yet",
	"retention":              "retention is not supported",
	"health_check_cmd":       "health_check_cmd is not supported yet",
	"permission":             "per-application permission is not supported (appmesh ACL policies decide)",
	"sec_env":                "sec_env (encrypted environment) is not supported",
	"resource_limit":         "resource_limit is not supported yet",
	"keep_running":           "keep_running is not supported; use behavior.exit \"restart\"",
	"envs":                   "envs is App Mesh's old name: use env",
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ParseApp reads an application body. urlName is the name in the path
// ("" when there is none, for a run); a name in the body must match it.
// Every key is either honoured, a runtime field, null, or an error.
func ParseApp(body []byte, urlName string) (*App, error) {
	return ParseAppWith(body, urlName, ParseOptions{})
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
		case k == "health_check_cmd" && opts.HealthCheckCmd:
			if isNull {
				continue
			}
		case unsupported[k] != "":
			if !isNull && !isEmpty(v) {
				return nil, fmt.Errorf("%s: field %q: %s", what, k, unsupported[k])
			}
			continue
		case !supported[k]:
			return nil, fmt.Errorf("%s: field %q: unknown field", what, k)
		case isNull:
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
	case "health_check_cmd":
		return json.Unmarshal(v, &a.HealthCheckCmd)
	}
	return nil
}

func (a *App) setBehavior(v json.RawMessage) error {
	var b struct {
		Exit    *string         `json:"exit"`
		Control json.RawMessage `json:"control"`
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return fmt.Errorf("behavior: %w", err)
	}
	c := strings.TrimSpace(string(b.Control))
	if c != "" && c != "null" && c != "{}" {
		return fmt.Errorf("behavior.control (per exit code actions) is not supported yet")
	}
	if b.Exit != nil && *b.Exit != "" {
		switch *b.Exit {
		case ExitStandby, ExitRestart:
			a.Exit = *b.Exit
		default:
			return fmt.Errorf("behavior.exit %q is not supported: use %q or %q", *b.Exit, ExitStandby, ExitRestart)
		}
	}
	return nil
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
	if strings.TrimSpace(a.Command) == "" {
		return fmt.Errorf("application %q: field \"command\" is required", a.Name)
	}
	if _, err := a.Argv(); err != nil {
		return fmt.Errorf("application %q: field \"command\": %w", a.Name, err)
	}
	return nil
}

// Argv is the command as an argv: with shell, /bin/sh -c and the command
// as the user wrote it; without, the command split like a shell splits
// words (quotes, no expansion).
func (a *App) Argv() ([]string, error) {
	if a.Shell {
		return []string{"/bin/sh", "-c", a.Command}, nil
	}
	return SplitCommand(a.Command)
}
