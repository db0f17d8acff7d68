package server

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
)

// consulTaskStatusPrefix is where the leader tells whoever writes task
// keys why a key does not run: <kv_prefix>/cluster/tasks-status/<name>
// holds {"key", "modify_index", "error"} while the key is refused, and is
// deleted once the key runs or goes. It sits beside the tasks prefix, not
// under it, so it is never taken for a task.
func consulTaskStatusPrefix(kvPrefix string) string { return kvPrefix + "/cluster/tasks-status/" }

// ConsulTaskStatus is the value of a task's status key.
type ConsulTaskStatus struct {
	Key         string `json:"key"`
	ModifyIndex uint64 `json:"modify_index"`
	Error       string `json:"error"`
}

// consulTaskStatuses writes the status keys of one leadership: it knows
// what it wrote, so a round writes only what changed. It is best effort:
// the log has every refusal; a status that cannot be written is retried
// next round.
type consulTaskStatuses struct {
	kv      *api.KV
	prefix  string
	written map[string][]byte // name → value in Consul; nil: not read yet
}

// update makes the status keys say refused (name → status), and removes
// the others.
func (st *consulTaskStatuses) update(ctx context.Context, logger hclog.Logger, refused map[string]*ConsulTaskStatus) {
	if st.written == nil {
		pairs, _, err := st.kv.List(st.prefix, (&api.QueryOptions{}).WithContext(ctx))
		if err != nil {
			logger.Debug("cannot read the task status keys", "error", err)
			return
		}
		st.written = map[string][]byte{}
		for _, p := range pairs {
			if name := strings.TrimPrefix(p.Key, st.prefix); name != "" {
				st.written[name] = p.Value
			}
		}
	}
	wopts := (&api.WriteOptions{}).WithContext(ctx)
	for name, status := range refused {
		b, err := json.Marshal(status)
		if err != nil || string(st.written[name]) == string(b) {
			continue
		}
		if _, err := st.kv.Put(&api.KVPair{Key: st.prefix + name, Value: b}, wopts); err != nil {
			logger.Debug("cannot write a task status key", "task", name, "error", err)
			continue
		}
		st.written[name] = b
	}
	for name := range st.written {
		if _, ok := refused[name]; ok {
			continue
		}
		if _, err := st.kv.Delete(st.prefix+name, wopts); err != nil {
			logger.Debug("cannot delete a task status key", "task", name, "error", err)
			continue
		}
		delete(st.written, name)
	}
}
