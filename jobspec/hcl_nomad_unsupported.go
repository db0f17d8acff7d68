package jobspec

import "fmt"

// nomadOnly lists, by enclosing block, the arguments and blocks of Nomad's
// job specification that appmesh does not have, with what to do instead.
// It is consulted only for names the schema does not know, so a feature
// that appmesh gains (a field in structs) drops out of it by itself.
var nomadOnly = map[string]map[string]string{
	"job": {
		"vault":        "Vault secrets are not integrated; give the task its secrets another way (env, or an artifact from a protected URL)",
		"vault_token":  "Vault is not integrated",
		"consul_token": "the Consul integration uses the agent's own token (see consul.md)",
		"multiregion":  "appmesh has one region per cluster",
		"node_pool":    "use constraints on node meta instead",
		"ui":           "the web UI shows no per-job description",
		"all_at_once":  "the scheduler places a job's allocations as capacity allows",
	},
	"group": {
		"consul":         "the Consul integration is configured on the agent",
		"vault":          "Vault secrets are not integrated",
		"shutdown_delay": "set shutdown_delay on the group's tasks: each waits that long after its services are removed",
	},
	"service": {
		"address_mode":        "an instance is registered with its node's address",
		"address":             "an instance is registered with its node's address",
		"tagged_addresses":    "an instance has one address",
		"canary_tags":         "canaries are registered with the service's own tags",
		"canary_meta":         "canaries are registered with the service's own meta",
		"enable_tag_override": "tags are always the job's",
		"on_update":           "put on_update on the service's checks",
		"weights":             "DNS weights are not set",
		"kind":                "Consul service kinds are not set from job files: use connect for proxies and gateways",
		"cluster":             "services are registered with the agent's own Consul",
		"identity":            "service identities are not issued",
	},
	"logs": {
		"disabled": "task output is always collected; keep it small with max_files and max_file_size",
		"enabled":  "task output is always collected",
	},
	"task": {
		"vault":      "Vault secrets are not integrated; give the task its secrets another way (env, or an artifact from a protected URL)",
		"consul":     "the Consul integration is configured on the agent",
		"csi_plugin": "CSI volumes are not supported",
		"scaling":    "task-level (vertical) scaling is not supported",
		"action":     "run the command with appmesh alloc exec instead",
		"schedule":   "use a daily_window block (see job-spec.md)",
		"constraint": "constraints apply to whole groups: put it in the group block",
		"affinity":   "affinities apply to whole groups: put it in the group block",
	},
	"port": {
		"host_network": "host networks are not supported: ports are offered on the node's address",
	},
	"resources": {
		"device":  "devices (GPUs and others) are not fingerprinted nor scheduled",
		"numa":    "NUMA-aware placement is not supported",
		"secrets": "the secrets directory is not a sized in-memory file system",
		"iops":    "disk IO is not reserved (Nomad ignores iops too)",
	},
	"identity": {
		"change_mode":   "the client renews the token file while the task runs (see identity in job-spec.md); no signal or restart is sent",
		"change_signal": "the client renews the token file while the task runs; no signal is sent",
		"filepath":      "the token file is secrets/<name>.jwt (file = true)",
		"service_name":  "service identities are not issued; use a task identity",
	},
	"check": {
		"grpc_service": "grpc checks (Consul services only) ask the server's default health service",
		"grpc_use_tls": "grpc checks (Consul services only) are made without TLS",
	},
	"artifact": {
		"chown": "the task's directory, artifacts included, is handed to the task's user before it starts",
	},
	"volume": {
		"access_mode":     "it belongs to CSI volumes, which are not supported; host volumes need no access mode",
		"attachment_mode": "it belongs to CSI volumes, which are not supported",
		"mount_options":   "it belongs to CSI volumes, which are not supported; a host volume is a bind mount of the client's directory",
		"sticky":          "it belongs to CSI volumes, which are not supported; per_alloc host volumes keep each allocation on its own volume",
	},
	"volume_mount": {
		"propagation_mode": "host volumes are mounted without mount propagation",
		"selinux_label":    "SELinux labels are not applied to volumes",
	},
	"template": {
		"vault_grace": "Vault is not integrated (Nomad ignores vault_grace too)",
	},
	"connect": {
		"native": "appmesh's mesh runs a sidecar proxy: use sidecar_service",
	},
	"gateway": {
		"terminating": "only ingress gateways are supported",
		"mesh":        "only ingress gateways are supported",
	},
	"ingress": {
		"tls": "the gateway's listeners are plain TCP or HTTP; mTLS starts at the gateway",
	},
	"sidecar_service": {
		"disable_default_tcp_check": "the proxy's catalog entry always has a tcp check on its port",
		"meta":                      "the proxy's catalog entry has no meta",
	},
	"proxy": {
		"expose":            "expose paths are not supported; give checks a port of their own",
		"transparent_proxy": "transparent proxying is not supported: tasks dial their upstreams at local_bind_port",
	},
	"upstreams": {
		"datacenter":             "upstreams are found in the whole cluster",
		"mesh_gateway":           "gateways are not supported",
		"destination_peer":       "cluster peering is not supported",
		"destination_type":       "only service destinations are supported",
		"local_bind_socket_path": "upstreams listen on TCP: use local_bind_port",
		"local_bind_socket_mode": "upstreams listen on TCP: use local_bind_port",
		"config":                 "per-upstream proxy config is not supported",
	},
}

// nomadOnlyDetail says that name, in a blockType block, is a Nomad
// feature appmesh lacks, or returns "" when it is not one.
func nomadOnlyDetail(name, blockType string) string {
	hint, ok := nomadOnly[blockType][name]
	if !ok {
		return ""
	}
	return fmt.Sprintf("`%s` is a Nomad feature appmesh does not support (found in a %s block): %s.", name, blockType, hint)
}
