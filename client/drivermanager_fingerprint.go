package client

import (
	"context"
	"slices"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/builtin"
)

// FingerprintDriver fingerprints a built-in driver inside the agent when no
// plugin of it runs yet, so that an idle node runs no driver processes at
// all (each costs about 8 MB); the plugin starts with the driver's first
// task. handled is false for drivers that must be asked through their
// plugin (third-party ones, or a built-in whose plugin already runs).
func (m *pluginDriverManager) FingerprintDriver(ctx context.Context, name string) (fp *drivers.Fingerprint, handled bool, err error) {
	if !slices.Contains(builtin.Names(), name) {
		return nil, false, nil
	}
	m.mu.Lock()
	e := m.plugins[name]
	m.mu.Unlock()
	if e != nil {
		e.mu.Lock()
		running := e.driver != nil
		e.mu.Unlock()
		if running {
			return nil, false, nil
		}
	}
	if m.hasSavedPlugin(name) {
		// A plugin from an earlier agent may still run tasks: re-attach
		// to it through Dispense instead.
		return nil, false, nil
	}
	d, err := builtin.New(name, m.logger)
	if err != nil {
		return nil, true, err
	}
	fp, err = d.Fingerprint(ctx)
	return fp, true, err
}

// hasSavedPlugin reports whether an earlier agent left a plugin of this
// driver behind (recorded in the client state).
func (m *pluginDriverManager) hasSavedPlugin(name string) bool {
	if m.db == nil {
		return false
	}
	rec, err := m.db.Driver(name)
	return err == nil && rec != nil
}
