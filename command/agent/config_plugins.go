package agent

import (
	"fmt"
	"time"
)

// parsePluginIdleGrace reads client.plugin_idle_grace; empty is the
// default (client.Config treats 0 as drivers.DefaultPluginIdleGrace).
func parsePluginIdleGrace(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("client.plugin_idle_grace = %q: want a positive duration such as \"30m\" or \"90s\"", v)
	}
	return d, nil
}
