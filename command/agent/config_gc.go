package agent

import (
	"fmt"
	"time"

	"github.com/appmesh/appmesh/client"
	"github.com/appmesh/appmesh/server"
)

// serverGCDurations names each server garbage collection setting with its
// value, in the order problems are reported.
func (s *ServerConfig) gcDurations() []struct{ name, value string } {
	return []struct{ name, value string }{
		{"gc_interval", s.GCInterval},
		{"eval_gc_threshold", s.EvalGCThreshold},
		{"batch_eval_gc_threshold", s.BatchEvalGCThreshold},
		{"job_gc_threshold", s.JobGCThreshold},
		{"node_gc_threshold", s.NodeGCThreshold},
		{"acl_token_gc_threshold", s.ACLTokenGCThreshold},
	}
}

// gcProblems checks the garbage collection settings of both blocks.
func (c *Config) gcProblems() []string {
	var problems []string
	check := func(block, name, v string) {
		if v == "" {
			return
		}
		if d, err := time.ParseDuration(v); err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("%s %s %q is not a positive duration (e.g. \"4h\")", block, name, v))
		}
	}
	for _, d := range c.Server.gcDurations() {
		check("server", d.name, d.value)
	}
	check("client", "gc_interval", c.Client.GCInterval)
	if t := c.Client.GCDiskUsageThreshold; t != nil && (*t <= 0 || *t > 100) {
		problems = append(problems, fmt.Sprintf("client gc_disk_usage_threshold %v is not a percentage above 0 and at most 100", *t))
	}
	if m := c.Client.GCMaxAllocs; m != nil && *m <= 0 {
		problems = append(problems, fmt.Sprintf("client gc_max_allocs %d must be at least 1", *m))
	}
	return problems
}

// gcDuration parses a setting Validate already checked; empty is 0 (the
// default).
func gcDuration(v string) time.Duration {
	d, _ := time.ParseDuration(v)
	return d
}

// gcConfig is the server's garbage collection configuration.
func (s *ServerConfig) gcConfig() server.GCConfig {
	return server.GCConfig{
		Interval:           gcDuration(s.GCInterval),
		EvalThreshold:      gcDuration(s.EvalGCThreshold),
		BatchEvalThreshold: gcDuration(s.BatchEvalGCThreshold),
		JobThreshold:       gcDuration(s.JobGCThreshold),
		NodeThreshold:      gcDuration(s.NodeGCThreshold),
		ACLTokenThreshold:  gcDuration(s.ACLTokenGCThreshold),
	}
}

// gcConfig is the client's garbage collection configuration.
func (c *ClientConfig) gcConfig() client.GCConfig {
	out := client.GCConfig{Interval: gcDuration(c.GCInterval)}
	if c.GCDiskUsageThreshold != nil {
		out.DiskUsageThreshold = *c.GCDiskUsageThreshold
	}
	if c.GCMaxAllocs != nil {
		out.MaxAllocs = *c.GCMaxAllocs
	}
	return out
}
