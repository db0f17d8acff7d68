package agent

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
)

// reloadTimeout bounds telling the servers about new node meta on reload.
const reloadTimeout = 30 * time.Second

// ReloadResult is what a configuration reload did.
type ReloadResult struct {
	// Applied are the settings that changed and took effect.
	Applied []string
	// NeedRestart are the settings that changed in the files but keep
	// their running value until the agent restarts.
	NeedRestart []string
	// Failed are live settings whose change was refused while applying
	// (the servers could not be told of new meta); they keep their value.
	Failed []string
}

// liveSettings change without a restart; every other setting needs one.
// The tls block's settings need a restart, but the files it names are
// read again on every reload (ReloadTLS).
var liveSettings = map[string]bool{"log_level": true, "client.meta": true}

// Reload applies a configuration read again from the same files and
// flags as at start (SIGHUP). next must have been built the way the
// running one was; it is checked whole before anything changes, and a
// configuration that does not validate changes nothing. Each setting that
// changed is logged once: applied, or needing a restart. The TLS files are
// read again either way.
func (a *Agent) Reload(ctx context.Context, next *Config) (*ReloadResult, error) {
	if err := a.checkReload(next); err != nil {
		return nil, err
	}
	a.cfgMu.RLock()
	changed := changedSettings(a.config, next)
	a.cfgMu.RUnlock()
	res := &ReloadResult{}
	for _, name := range changed {
		if !liveSettings[name] {
			res.NeedRestart = append(res.NeedRestart, name)
		}
	}
	// The log level first, so that what follows is logged at the new one.
	if slices.Contains(changed, "log_level") {
		a.reloadLogLevel(next.LogLevel, res)
	}
	if slices.Contains(changed, "client.meta") {
		a.reloadMeta(ctx, next.Client.Meta, res)
	}
	for _, name := range res.NeedRestart {
		a.logger.Warn("config reload: setting changed in the configuration but needs a restart to take effect", "setting", name)
	}
	if err := a.ReloadTLS(); err != nil {
		a.logger.Error("config reload: TLS files not reloaded; keeping the old ones", "error", err)
		res.Failed = append(res.Failed, "tls files")
	}
	a.logger.Info("configuration reloaded", "applied", len(res.Applied), "need_restart", len(res.NeedRestart), "failed", len(res.Failed))
	return res, nil
}

// checkReload refuses a configuration the agent could not start with.
func (a *Agent) checkReload(next *Config) error {
	if err := next.Validate(); err != nil {
		return err
	}
	if l := hclog.LevelFromString(next.LogLevel); l == hclog.NoLevel || l == hclog.Off {
		return fmt.Errorf("invalid agent configuration: unknown log level %q: use TRACE, DEBUG, INFO, WARN or ERROR", next.LogLevel)
	}
	return nil
}

func (a *Agent) reloadLogLevel(level string, res *ReloadResult) {
	old := a.LogLevel()
	next := strings.ToUpper(hclog.LevelFromString(level).String())
	a.cfgMu.Lock()
	a.config.LogLevel = level
	a.cfgMu.Unlock()
	if old == next { // "info" and "INFO": spelled otherwise, same level
		return
	}
	a.logger.SetLevel(hclog.LevelFromString(level))
	a.logger.Info("config reload: log_level changed", "setting", "log_level", "from", old, "to", next)
	res.Applied = append(res.Applied, "log_level")
}

// reloadMeta gives the node the configured meta of the new files, with
// the labels set at run time (API, `appmesh label`) still over it.
func (a *Agent) reloadMeta(ctx context.Context, meta map[string]string, res *ReloadResult) {
	if a.client == nil {
		// No node: client.meta is unused, as at start.
		a.logger.Info("config reload: client.meta changed; this agent runs no client, so it is unused")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, reloadTimeout)
	defer cancel()
	before := a.client.NodeMeta()
	after, changed, err := a.client.SetConfiguredMeta(ctx, meta)
	if err != nil {
		a.logger.Error("config reload: client.meta not changed; keeping the running meta", "error", err)
		res.Failed = append(res.Failed, "client.meta")
		return
	}
	a.cfgMu.Lock()
	a.config.Client.Meta = maps.Clone(meta)
	a.cfgMu.Unlock()
	if !changed {
		// The file's change is hidden by labels set at run time.
		a.logger.Info("config reload: client.meta changed in the configuration; the node's meta is the same (labels set at run time win)")
		res.Applied = append(res.Applied, "client.meta")
		return
	}
	set, removed := metaDiff(before, after)
	a.logger.Info("config reload: client.meta changed", "setting", "client.meta", "set", strings.Join(set, ","), "removed", strings.Join(removed, ","))
	res.Applied = append(res.Applied, "client.meta")
}

// metaDiff names the keys set (new or changed) and removed from before to
// after; values are not logged.
func metaDiff(before, after map[string]string) (set, removed []string) {
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			set = append(set, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			removed = append(removed, k)
		}
	}
	sort.Strings(set)
	sort.Strings(removed)
	return set, removed
}
