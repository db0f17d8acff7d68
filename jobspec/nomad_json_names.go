package jobspec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/appmesh/appmesh/structs"
)

var structsPkg = reflect.TypeFor[structs.Job]().PkgPath()

// nomadRenames maps, for an appmesh struct (by Go type name), the Nomad
// API keys whose appmesh JSON key is not simply the snake_case of the
// Nomad key. "" drops the key whatever its value: the servers' own
// bookkeeping, which `nomad job inspect` prints and a register ignores.
// Every other key is looked up as its snake_case form (KillTimeout →
// kill_timeout), so fields appmesh gains are read without a change here.
var nomadRenames = map[string]map[string]string{
	"Job": {
		"TaskGroups": "groups", "ParameterizedJob": "parameterized",
		"Status": "", "StatusDescription": "", "Stable": "", "Version": "", "SubmitTime": "",
		"CreateIndex": "", "ModifyIndex": "", "JobModifyIndex": "", "Dispatched": "",
	},
	"TaskGroup":     {"RestartPolicy": "restart", "ReschedulePolicy": "reschedule", "Services": "services"},
	"Task":          {"RestartPolicy": "restart", "LogConfig": "logs", "Templates": "templates"},
	"ScalingPolicy": {"ID": "", "Namespace": "", "Target": "", "Type": "", "CreateIndex": "", "ModifyIndex": ""},
	"Resources":     {"CPU": "cpu", "MemoryMB": "memory", "MemoryMaxMB": "memory_max", "DiskMB": "disk"},
	"Constraint":    {"LTarget": "attribute", "RTarget": "value", "Operand": "operator"},
	"Affinity":      {"LTarget": "attribute", "RTarget": "value", "Operand": "operator"},
	"Spread":        {"SpreadTarget": "targets"},
	"Service":       {"PortLabel": "port"},
	"Check":         {"PortLabel": "port", "TaskName": "task"},
	"LogConfig":     {"MaxFileSizeMB": "max_file_size"},
	"TaskArtifact":  {"GetterSource": "source", "GetterOptions": "options", "GetterHeaders": "headers", "GetterMode": "mode", "RelativeDest": "destination"},

	// Task.Identity and Task.Identities are merged by nomadTranslator.task.
	"WorkloadIdentity": {"Audience": "aud", "TTL": "ttl"},
	"SidecarTask":      {"LogConfig": "logs"},
}

// nomadUnset lists, per appmesh struct, the Nomad API fields appmesh has
// no equivalent for. Nomad's own output (`nomad job run -output`) writes
// them all, null or zero when unset; such an empty value is accepted, any
// other is an error that names the field. nomadDefaults lists the values
// that mean "Nomad's default" and are accepted too.
var nomadUnset = map[string][]string{
	"Job": {"Region", "AllAtOnce", "NodePool", "ConsulToken", "VaultToken", "ConsulNamespace",
		"VaultNamespace", "NomadTokenID", "Multiregion", "UI", "VersionTag"},
	"TaskGroup": {"Consul", "ShutdownDelay"},
	"Task":      {"Vault", "Consul", "CSIPluginConfig", "ScalingPolicies", "Actions", "Schedule", "Constraints", "Affinities"},
	"Resources": {"IOPS", "Networks", "Devices", "SecretsMB", "NUMA"},
	"Service": {"TaggedAddresses", "CanaryTags", "CanaryMeta", "EnableTagOverride", "AddressMode",
		"Address", "Identity", "OnUpdate", "TaskName", "Cluster", "Kind", "Weights"},
	"Check": {"AddressMode", "TLSServerName", "InitialStatus", "FailuresBeforeWarning", "GRPCService", "GRPCUseTLS",
		"Notes"},
	"CheckRestart": {"IgnoreWarnings"},
	"TaskArtifact": {"Chown"},
	"LogConfig":    {"Disabled", "Enabled"},
	"Port":         {"HostNetwork"},

	"WorkloadIdentity": {"ChangeMode", "ChangeSignal", "Filepath", "ServiceName"},

	"ConsulConnect": {"Native"},
	"ConsulGateway": {"Terminating", "Mesh"},
	"ConsulGatewayProxy": {"EnvoyGatewayBindTaggedAddresses", "EnvoyGatewayBindAddresses", "EnvoyGatewayNoDefaultBind",
		"EnvoyDNSDiscoveryType"},
	"ConsulIngressConfigEntry": {"TLS"},
	"ConsulIngressService": {"Hosts", "TLS", "RequestHeaders", "ResponseHeaders", "MaxConnections",
		"MaxPendingRequests", "MaxConcurrentRequests"},
	"ConsulSidecarService": {"DisableDefaultTCPCheck", "Meta"},
	"ConsulProxy":          {"Expose", "TransparentProxy"},
	"ConsulUpstream": {"Datacenter", "MeshGateway", "Config", "DestinationPeer", "DestinationType",
		"LocalBindSocketPath", "LocalBindSocketMode"},
	"SidecarTask": {"Name", "Driver", "User", "Config", "ShutdownDelay", "KillSignal"},
}

var nomadDefaults = map[string]string{"Region": "global", "NodePool": "default"}

// nomadKeyFor returns appmesh's key for a Nomad key of typeName; renamed
// reports that the key is in nomadRenames ("" then means dropped).
func nomadKeyFor(typeName, key string) (target string, renamed bool) {
	if to, ok := nomadRenames[typeName][key]; ok {
		return to, true
	}
	return snakeCase(key), false
}

// nomadEmptyOK reports whether key is a Nomad field appmesh lacks, which
// may be present when it holds no value.
func nomadEmptyOK(typeName, key string) bool {
	for _, k := range nomadUnset[typeName] {
		if k == key {
			return true
		}
	}
	return false
}

// isNomadDefault reports a value that is the Nomad default of a field
// appmesh lacks ("Region": "global").
func isNomadDefault(key string, v any) bool {
	s, ok := v.(string)
	return ok && nomadDefaults[key] != "" && strings.EqualFold(s, nomadDefaults[key])
}

// blockTypeOf names the HCL block of an appmesh struct, for the
// Nomad-feature messages of hcl_nomad_unsupported.go.
func blockTypeOf(t reflect.Type) string {
	if t.PkgPath() != structsPkg {
		return ""
	}
	switch t.Name() {
	case "Job":
		return "job"
	case "TaskGroup":
		return "group"
	case "Task":
		return "task"
	case "TaskArtifact":
		return "artifact"
	case "Service":
		return "service"
	case "ConsulConnect":
		return "connect"
	case "ConsulSidecarService":
		return "sidecar_service"
	case "ConsulProxy":
		return "proxy"
	case "ConsulUpstream":
		return "upstreams"
	case "DisconnectStrategy":
		return "disconnect"
	case "ConsulGateway":
		return "gateway"
	case "ConsulIngressConfigEntry":
		return "ingress"
	}
	return ""
}

// snakeCase turns a Nomad key into appmesh's form: KillTimeout →
// kill_timeout, ParentID → parent_id, MemoryMB → memory_mb.
func snakeCase(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// pascalCase is the Nomad-style spelling of an appmesh key, for
// suggestions: kill_timeout → KillTimeout, id → ID.
func pascalCase(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		switch p {
		case "id", "cpu", "ttl", "tls", "url":
			parts[i] = strings.ToUpper(p)
		default:
			if p != "" {
				parts[i] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
	}
	return strings.Join(parts, "")
}

func asValidation(err error, ve **structs.ValidationError) bool {
	return errors.As(err, ve)
}

// nomadSpecial translates the Nomad objects whose shape differs from
// appmesh's beyond key names. handled false falls back to the generic walk.
var nomadSpecial map[string]func(tr *nomadTranslator, v any, npath, apath string) (any, bool)

func init() {
	nomadSpecial = map[string]func(tr *nomadTranslator, v any, npath, apath string) (any, bool){
		"TaskGroup":      (*nomadTranslator).taskGroup,
		"PeriodicConfig": (*nomadTranslator).periodic,
		"Task":           (*nomadTranslator).task,
	}
}

// taskGroup reads Nomad's list of networks (at most one, as in Nomad's
// job files) into appmesh's single network block.
func (tr *nomadTranslator) taskGroup(v any, npath, apath string) (any, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	rest := make(map[string]any, len(obj))
	for k, val := range obj {
		if k != "Networks" {
			rest[k] = val
		}
	}
	out := tr.object(rest, reflect.TypeFor[structs.TaskGroup](), npath, apath)
	nets, present := obj["Networks"]
	if !present || nets == nil {
		return out, true
	}
	list, ok := nets.([]any)
	switch {
	case !ok:
		tr.problem(npath+".Networks", "expected an array, got %s", jsonKind(nets))
	case len(list) > 1:
		tr.problem(npath+".Networks", "a group has at most one network")
	case len(list) == 1:
		out["network"] = tr.network(list[0], npath+".Networks[0]", joinPath(apath, "network"))
	}
	return out, true
}

// task reads Nomad's Identity (the default identity, an object) and
// Identities (the named ones) into appmesh's one list of identities.
func (tr *nomadTranslator) task(v any, npath, apath string) (any, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	rest := make(map[string]any, len(obj))
	for k, val := range obj {
		if k != "Identity" && k != "Identities" {
			rest[k] = val
		}
	}
	out := tr.object(rest, reflect.TypeFor[structs.Task](), npath, apath)
	var ids []any
	add := func(e any, epath string) {
		apath := fmt.Sprintf("%s[%d]", joinPath(apath, "identities"), len(ids))
		ids = append(ids, tr.value(e, reflect.TypeFor[structs.WorkloadIdentity](), epath, apath))
	}
	if def := obj["Identity"]; def != nil {
		add(def, npath+".Identity")
	}
	switch list := obj["Identities"].(type) {
	case nil:
	case []any:
		for i, e := range list {
			add(e, fmt.Sprintf("%s.Identities[%d]", npath, i))
		}
	default:
		tr.problem(npath+".Identities", "expected an array, got %s", jsonKind(list))
	}
	if len(ids) > 0 {
		out["identities"] = ids
	}
	return out, true
}

func (tr *nomadTranslator) network(v any, npath, apath string) any {
	obj, ok := v.(map[string]any)
	if !ok {
		tr.problem(npath, "expected an object, got %s", jsonKind(v))
		return nil
	}
	var ports []any
	out := map[string]any{}
	for _, key := range sortedKeys(obj) {
		val := obj[key]
		kpath := npath + "." + key
		switch key {
		case "DynamicPorts", "ReservedPorts":
			ports = append(ports, tr.ports(val, key == "ReservedPorts", kpath, apath, len(ports))...)
		case "Mode", "Hostname":
			// The network block's own validation checks the values; only
			// Nomad's modes appmesh lacks get a Nomad-specific word here.
			if m, _ := val.(string); key == "Mode" && m != "" && m != structs.NetworkModeHost && m != structs.NetworkModeBridge {
				tr.problem(kpath, "network mode %q is not supported: use \"host\" (the default) or \"bridge\"", m)
			} else if !isEmptyJSON(val) {
				out[strings.ToLower(key)] = val
			}
		case "DNS":
			if m, ok := val.(map[string]any); ok {
				out["dns"] = tr.object(m, reflect.TypeFor[structs.DNSConfig](), kpath, joinPath(apath, "dns"))
			} else if !isEmptyJSON(val) {
				tr.problem(kpath, "expected an object, got %s", jsonKind(val))
			}
		case "MBits", "IP", "CIDR", "Device":
			if !isEmptyJSON(val) {
				tr.problem(kpath, "%s", nomadIgnoredMessage(key))
			}
		default:
			tr.problem(kpath, "%s", unknownNomadKey(key, []string{"Mode", "Hostname", "DNS", "DynamicPorts", "ReservedPorts"}))
		}
	}
	out["ports"] = ports
	return out
}

// ports reads DynamicPorts or ReservedPorts ({Label, Value, To}); a
// reserved port's Value is appmesh's static port.
func (tr *nomadTranslator) ports(v any, reserved bool, npath, apath string, offset int) []any {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		tr.problem(npath, "expected an array, got %s", jsonKind(v))
		return nil
	}
	var out []any
	for i, e := range list {
		ppath := fmt.Sprintf("%s[%d]", npath, i)
		obj, ok := e.(map[string]any)
		if !ok {
			tr.problem(ppath, "expected an object, got %s", jsonKind(e))
			continue
		}
		port := map[string]any{}
		tr.pathMap[fmt.Sprintf("%s.ports[%d]", apath, offset+len(out))] = ppath
		for _, key := range sortedKeys(obj) {
			val := obj[key]
			switch {
			case key == "Label":
				port["label"] = val
			case key == "To":
				port["to"] = val
			case key == "Value" && reserved:
				port["static"] = val
			case key == "Value" && isEmptyJSON(val):
			case key == "HostNetwork" && (isEmptyJSON(val) || val == "default"):
			default:
				tr.problem(ppath+"."+key, "%s", unknownNomadKey(key, []string{"Label", "Value", "To"}))
			}
		}
		out = append(out, port)
	}
	return out
}

// periodic reads Nomad's Spec (one cron) or Specs and SpecType into crons.
func (tr *nomadTranslator) periodic(v any, npath, apath string) (any, bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	rest := map[string]any{}
	var crons []any
	for _, key := range sortedKeys(obj) {
		val := obj[key]
		kpath := npath + "." + key
		switch key {
		case "Spec":
			if s, ok := val.(string); ok && s != "" {
				crons = append(crons, s)
			} else if !isEmptyJSON(val) {
				tr.problem(kpath, "expected a string, got %s", jsonKind(val))
			}
		case "Specs":
			if list, ok := val.([]any); ok {
				crons = append(crons, list...)
			} else if val != nil {
				tr.problem(kpath, "expected an array, got %s", jsonKind(val))
			}
		case "SpecType":
			if s, _ := val.(string); s != "" && s != "cron" {
				tr.problem(kpath, "spec type %q is not supported: use \"cron\"", s)
			}
		case "Enabled":
			if b, ok := val.(bool); ok && !b {
				tr.problem(kpath, "a disabled periodic block is not supported: remove the periodic block to run the job once")
			}
		default:
			rest[key] = val
		}
	}
	out := tr.object(rest, reflect.TypeFor[structs.PeriodicConfig](), npath, apath)
	if len(crons) > 0 {
		out["crons"] = crons
	}
	return out, true
}
