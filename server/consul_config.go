package server

import (
	"context"
	"time"

	"github.com/appmesh/appmesh/internal/ctxsleep"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// ConsulConfig turns on the leader's Consul duties: the topology under
// <kv_prefix>/topology/ (consul_topology.go) and, with WatchTasks, jobs
// defined under <kv_prefix>/cluster/tasks/ (consul_tasks.go).
type ConsulConfig struct {
	API        *api.Client
	KVPrefix   string
	WatchTasks bool
	// KVFormat is the shape of <kv_prefix>/topology/<node>: KVFormatNative
	// (the default, "") or KVFormatAppMesh. Task keys are read in either
	// format whatever it is: each key says which it is in.
	KVFormat string
}

// The shapes of the KV keys (the agent's consul { kv_format }).
const (
	KVFormatNative  = "native"
	KVFormatAppMesh = "appmesh"
)

// consulRetryMax caps the back-off of the leader's Consul loops.
const consulRetryMax = 30 * time.Second

// startConsulLeader starts the leader's Consul loops, if configured.
func (s *Server) startConsulLeader(ctx context.Context) {
	cc := s.config.Consul
	if cc == nil || cc.API == nil {
		return
	}
	s.goLeader(ctx, s.publishTopology)
	if cc.WatchTasks {
		s.goLeader(ctx, s.watchConsulTasks)
	}
}

// consulBackoff doubles d up to consulRetryMax and waits it out; false
// when ctx ended.
func consulBackoff(ctx context.Context, d *time.Duration) bool {
	if *d == 0 {
		*d = time.Second
	} else {
		*d = min(2**d, consulRetryMax)
	}
	return ctxsleep.Sleep(ctx, *d)
}

// consulOutage logs a Consul outage once and its end once.
type consulOutage struct {
	down bool
}

func (o *consulOutage) fail(logger hclog.Logger, msg string, err error) {
	if !o.down {
		logger.Warn(msg+"; retrying with back-off", "error", err)
	}
	o.down = true
}

func (o *consulOutage) ok(logger hclog.Logger) {
	if o.down {
		logger.Info("consul reachable again")
	}
	o.down = false
}
