package appmeshapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// TaskSettings are the App Mesh fields that shape the task: its image,
// resources, health check, secret environment, output and stop grace.
type TaskSettings struct {
	DockerImage string
	// MemoryMB and CPUShares are resource_limit (nil: unset).
	MemoryMB, CPUShares *int
	HealthCheck         string
	// SecEnv joins the task's env; GET answers only masked values.
	SecEnv map[string]string
	// Metadata is the JSON value as sent (nil: unset).
	Metadata json.RawMessage
	// StdoutCacheNum is how many rotated output files are kept (0: default).
	StdoutCacheNum int
	// Retention is the grace a process gets to stop (kill_timeout);
	// RetentionRaw the value as sent.
	Retention    time.Duration
	RetentionRaw json.RawMessage
}

// maskedSecret is what GET answers for every sec_env value.
const maskedSecret = "******"

func (s *TaskSettings) setResources(v json.RawMessage) error {
	var r struct {
		MemoryMB     *int `json:"memory_mb"`
		MemoryVirtMB *int `json:"memory_virt_mb"`
		CPUShares    *int `json:"cpu_shares"`
	}
	if err := decodeStrict(v, &r); err != nil {
		return err
	}
	if r.MemoryVirtMB != nil && *r.MemoryVirtMB != 0 {
		return fmt.Errorf("memory_virt_mb (memory plus swap) has no equivalent in appmesh: send null or 0 " +
			"(memory_mb is the memory limit)")
	}
	if r.MemoryMB != nil && *r.MemoryMB < 0 || r.CPUShares != nil && *r.CPUShares < 0 {
		return fmt.Errorf("memory_mb and cpu_shares must not be negative")
	}
	if r.MemoryMB != nil && *r.MemoryMB > 0 {
		s.MemoryMB = r.MemoryMB
	}
	if r.CPUShares != nil && *r.CPUShares > 0 {
		s.CPUShares = r.CPUShares
	}
	return nil
}

func (s *TaskSettings) setSecEnv(v json.RawMessage) error {
	if err := json.Unmarshal(v, &s.SecEnv); err != nil {
		return fmt.Errorf("must be an object of strings: %w", err)
	}
	return nil
}

func (s *TaskSettings) setMetadata(v json.RawMessage) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return err
	}
	s.Metadata = buf.Bytes()
	return nil
}

func (s *TaskSettings) setStdoutCacheNum(v json.RawMessage) error {
	if err := json.Unmarshal(v, &s.StdoutCacheNum); err != nil || s.StdoutCacheNum < 0 {
		return fmt.Errorf("must be a number of files (0 or more), got %s", v)
	}
	return nil
}

func (s *TaskSettings) setRetention(v json.RawMessage) error {
	if s.RetentionRaw != nil && string(s.RetentionRaw) != string(v) {
		return fmt.Errorf("retention and start_interval_timeout differ: send one of them")
	}
	d, err := parseSeconds(v)
	if err != nil {
		return err
	}
	s.Retention, s.RetentionRaw = d, v
	return nil
}

// applyTask sets the task's driver, resources, check, env, logs and
// kill_timeout from the settings. argv is the command ("" for a docker
// application without one: the image's own command).
func (a *App) applyTask(task *structs.Task, job *structs.Job, argv []string) error {
	s := &a.Task
	if s.DockerImage != "" {
		cfg := map[string]any{"image": s.DockerImage}
		if len(argv) > 0 {
			cfg["command"] = argv[0]
			cfg["args"] = toAny(argv[1:])
		}
		task.Driver, task.Config = "docker", cfg
		job.Meta[MetaDockerImage] = s.DockerImage
	}
	if s.MemoryMB != nil || s.CPUShares != nil {
		task.Resources = &structs.Resources{}
		if s.MemoryMB != nil {
			task.Resources.MemoryMB = *s.MemoryMB
		}
		if s.CPUShares != nil {
			task.Resources.CPU = *s.CPUShares
		}
		b, _ := json.Marshal(map[string]*int{"memory_mb": s.MemoryMB, "cpu_shares": s.CPUShares})
		job.Meta[MetaResources] = string(b)
	}
	if s.HealthCheck != "" {
		hc, err := a.healthArgv()
		if err != nil {
			return fmt.Errorf("field \"health_check_cmd\": %w", err)
		}
		task.Checks = []*structs.Check{{Name: "health_check_cmd", Type: structs.CheckTypeScript, Command: hc[0], Args: hc[1:]}}
		job.Meta[MetaHealthCheck] = s.HealthCheck
	}
	if len(s.SecEnv) > 0 {
		if task.Env == nil {
			task.Env = map[string]string{}
		}
		for _, k := range sortedKeys(s.SecEnv) {
			if _, dup := a.Env[k]; dup {
				return fmt.Errorf("field \"sec_env\": %q is also in env: set it in one of them", k)
			}
			task.Env[k] = s.SecEnv[k]
		}
		job.Meta[MetaSecEnvKeys] = strings.Join(sortedKeys(s.SecEnv), ",")
	}
	if s.Metadata != nil {
		job.Meta[MetaMetadata] = string(s.Metadata)
	}
	if s.StdoutCacheNum > 0 {
		task.Logs = &structs.LogConfig{MaxFiles: s.StdoutCacheNum}
		job.Meta[MetaStdoutCacheNum] = strconv.Itoa(s.StdoutCacheNum)
	}
	if s.RetentionRaw != nil {
		task.KillTimeout = structs.Duration(s.Retention)
		job.Meta[MetaRetention] = string(s.RetentionRaw)
	}
	return nil
}

// healthArgv is health_check_cmd as an argv, split as the command is (and
// run by /bin/sh -c when the application is a shell one).
func (a *App) healthArgv() ([]string, error) {
	if a.Shell {
		return []string{"/bin/sh", "-c", a.Task.HealthCheck}, nil
	}
	return SplitCommand(a.Task.HealthCheck)
}

func toAny(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// viewTask adds the task settings to a GET answer. The env answered is the
// task's without sec_env; sec_env's values are masked (App Mesh keeps them
// encrypted and never answers them either).
func viewTask(v map[string]any, j *structs.Job) {
	task := j.Groups[0].Tasks[0]
	secret := map[string]bool{}
	var sec map[string]string
	if keys := j.Meta[MetaSecEnvKeys]; keys != "" {
		sec = map[string]string{}
		for _, k := range strings.Split(keys, ",") {
			secret[k], sec[k] = true, maskedSecret
		}
	}
	env := map[string]string{}
	for k, val := range task.Env {
		if !secret[k] {
			env[k] = val
		}
	}
	v["env"], v["sec_env"] = env, nil
	if sec != nil {
		v["sec_env"] = sec
	}
	v["docker_image"] = nullIfEmpty(j.Meta[MetaDockerImage])
	v["health_check_cmd"] = nullIfEmpty(j.Meta[MetaHealthCheck])
	v["resource_limit"], v["metadata"], v["retention"], v["stdout_cache_num"] = nil, nil, nil, nil
	for key, meta := range map[string]string{"resource_limit": MetaResources, "metadata": MetaMetadata, "retention": MetaRetention} {
		if raw := j.Meta[meta]; raw != "" {
			v[key] = json.RawMessage(raw)
		}
	}
	if n, err := strconv.Atoi(j.Meta[MetaStdoutCacheNum]); err == nil {
		v["stdout_cache_num"] = n
	}
}
