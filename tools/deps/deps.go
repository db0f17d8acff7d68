// Package deps pins modules that the next pieces of work (schedules,
// Consul) import, so that engineers working
// in parallel do not race on go.mod. Delete an import here once real code
// imports that module.
package deps

import (
	_ "github.com/containerd/cgroups/v3/cgroup1"
	_ "github.com/containerd/cgroups/v3/cgroup2"
	_ "github.com/hashicorp/consul/api"
	_ "github.com/hashicorp/memberlist"
	_ "github.com/hashicorp/net-rpc-msgpackrpc/v2"
	_ "github.com/hashicorp/yamux"
	_ "github.com/moby/moby/client"
	_ "github.com/robfig/cron/v3"
)
