package appmeshapi

import (
	"strconv"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// Job meta keys that mark an App Mesh application and keep what App Mesh
// reads back but a job has no field for.
const (
	MetaApp         = "appmesh.app" // "1": registered through /appmesh/
	MetaCommand     = "appmesh.app.command"
	MetaShell       = "appmesh.app.shell"
	MetaDescription = "appmesh.app.description"
	MetaExit        = "appmesh.app.exit"
	// MetaProcessUUID is the process_uuid an async run answered with.
	MetaProcessUUID = "appmesh.app.process_uuid"
	// App Mesh settings kept as sent for GET (the job holds what they do).
	MetaControl        = "appmesh.app.behavior_control" // JSON object
	MetaInterval       = "appmesh.app.interval"         // JSON value of start_interval_seconds
	MetaDockerImage    = "appmesh.app.docker_image"
	MetaResources      = "appmesh.app.resource_limit" // JSON object
	MetaHealthCheck    = "appmesh.app.health_check_cmd"
	MetaSecEnvKeys     = "appmesh.app.sec_env_keys" // names only, comma separated
	MetaMetadata       = "appmesh.app.metadata"     // JSON value
	MetaStdoutCacheNum = "appmesh.app.stdout_cache_num"
	MetaRetention      = "appmesh.app.retention" // JSON value
)

// GroupName and TaskName name an application's only group and task.
const (
	GroupName = "app"
	TaskName  = "app"
)

// IsAppJob reports whether a job was registered through /appmesh/. The
// launches of an interval or cron application (periodic children, which
// copy its meta) are not applications of their own.
func IsAppJob(j *structs.Job) bool { return j != nil && j.Meta[MetaApp] == "1" && j.ParentID == "" }

// ToJob turns an application into the job that runs it on nodeID (see
// BaseJob), or for a cluster application on the nodes its selector picks
// (nodeID unused), marked as managed by /appmesh/.
func (a *App) ToJob(nodeID string) (*structs.Job, error) {
	job, err := a.BaseJob("raw_exec")
	if err != nil {
		return nil, err
	}
	if a.IsCluster() {
		if err := a.toClusterJob(job); err != nil {
			return nil, err
		}
		job.Meta[MetaApp] = "1"
		return job, nil
	}
	job.Constraints = []*structs.Constraint{{Attribute: "${node.unique.id}", Operator: "=", Value: nodeID}}
	job.Meta[MetaApp] = "1"
	return job, nil
}

// BaseJob is the job of an application before it is placed anywhere: one
// group of one task run by driver (App Mesh runs its applications on the
// host: raw_exec for the REST API, exec as an unprivileged user for Consul
// KV cluster tasks) or docker for a docker_image, count 1 (0 when
// disabled), no constraints, and the meta App Mesh's view reads back
// (without MetaApp: the caller decides whether /appmesh/ manages it). The
// job type and restart policy follow behavior (see exitPolicy); the
// schedule makes it periodic, bounded in time or limited to a daily window
// (see Schedule.apply).
func (a *App) BaseJob(driver string) (*structs.Job, error) {
	argv, err := a.Argv()
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{}
	if len(argv) > 0 {
		cfg["command"], cfg["args"] = argv[0], toAny(argv[1:])
	}
	if a.WorkingDir != "" {
		cfg["work_dir"] = a.WorkingDir
	}
	env := map[string]string{}
	for k, v := range a.Env {
		env[k] = v
	}
	if len(env) == 0 {
		env = nil
	}
	task := &structs.Task{Name: TaskName, Driver: driver, Config: cfg, Env: env}
	// A disabled application is a job scaled to zero: it exists and can be
	// enabled, but nothing is placed. (The servers clear Stop on register.)
	count := 1
	if !a.Enabled {
		count = 0
	}
	grp := &structs.TaskGroup{Name: GroupName, Count: count, Tasks: []*structs.Task{task}}
	jobType, restart, reschedule := a.exitPolicy()
	task.Restart, grp.Reschedule = restart, reschedule
	job := &structs.Job{
		ID: a.Name, Name: a.Name, Type: jobType,
		Groups: []*structs.TaskGroup{grp},
		Meta: map[string]string{
			MetaCommand: a.Command, MetaShell: strconv.FormatBool(a.Shell),
			MetaDescription: a.Description, MetaExit: a.Exit,
		},
	}
	if c := a.controlMeta(); c != "" {
		job.Meta[MetaControl] = c
	}
	a.Schedule.apply(job, task)
	if err := a.applyTask(task, job, argv); err != nil {
		return nil, err
	}
	return job, nil
}

// Process is what the agent knows of an application's latest process.
type Process struct {
	Running  bool
	ExitCode *int
	Failed   bool
	// StartTime is Unix seconds, 0 when it never started; ExitTime the
	// last exit, 0 while running or never ended.
	StartTime int64
	ExitTime  int64
	// Starts counts the starts; Unhealthy is a failing health check.
	Starts    int
	Unhealthy bool
	// NextStart is Unix seconds of the next daily-window opening while the
	// task waits for it, else 0.
	NextStart int64
}

// Enable makes a disabled application's job run again.
func Enable(j *structs.Job) {
	j.Stop = false
	j.Groups[0].Count = JobReplication(j)
}

// View is an application as App Mesh's GET answers it: every field its
// SDKs read, null when appmesh has no value.
func View(j *structs.Job, p *Process) map[string]any {
	return view(j, p, time.Now())
}

func view(j *structs.Job, p *Process, now time.Time) map[string]any {
	task := j.Groups[0].Tasks[0]
	status := 1
	if j.Stop || j.Groups[0].Count == 0 {
		status = 0
	}
	wd, _ := task.Config["work_dir"].(string)
	v := map[string]any{
		"name": j.ID, "command": j.Meta[MetaCommand], "shell": j.Meta[MetaShell] == "true",
		"description": nullIfEmpty(j.Meta[MetaDescription]), "working_dir": nullIfEmpty(wd),
		"status": status, "behavior": viewBehavior(j),
		"register_time": j.SubmitTime / 1e9,
		"pid":           nil, "return": nil, "health": Health(p), "last_start_time": nil,
		"last_exit_time": nil, "starts": nil,
		"owner": nil, "permission": nil,
	}
	viewSchedule(v, j, now)
	viewTask(v, j)
	viewCluster(v, j)
	v["start_interval_timeout"] = v["retention"]
	if p != nil {
		if p.ExitCode != nil {
			v["return"] = *p.ExitCode
		}
		if p.StartTime > 0 {
			v["last_start_time"] = p.StartTime
		}
		if p.ExitTime > 0 {
			v["last_exit_time"] = p.ExitTime
		}
		if p.Starts > 0 {
			v["starts"] = p.Starts
		}
		if p.NextStart > 0 && v["next_start_time"] == nil {
			v["next_start_time"] = p.NextStart
		}
	}
	return v
}

// Health is App Mesh's health: 0 healthy, 1 not. A running process, one
// that ended with exit code 0, or one not started yet is healthy.
func Health(p *Process) int {
	if p == nil || (p.Running && !p.Unhealthy) {
		return 0
	}
	if p.Unhealthy {
		return 1
	}
	if p.Failed || (p.ExitCode != nil && *p.ExitCode != 0) {
		return 1
	}
	return 0
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
