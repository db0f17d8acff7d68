package agent

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// NodeMeta is the meta of this agent's node (App Mesh's labels).
func (a *Agent) NodeMeta() (map[string]string, error) {
	if a.client == nil {
		return nil, errNoClient
	}
	return a.client.NodeMeta(), nil
}

// UpdateNodeMeta changes this agent's node meta and tells the servers
// (client.UpdateNodeMeta).
func (a *Agent) UpdateNodeMeta(ctx context.Context, set map[string]string, del []string) (map[string]string, error) {
	if a.client == nil {
		return nil, errNoClient
	}
	return a.client.UpdateNodeMeta(ctx, set, del)
}

// LogLevel is the agent's current log level.
func (a *Agent) LogLevel() string { return strings.ToUpper(a.logger.GetLevel().String()) }

// SetLogLevel changes the agent's log level at once, for every part of
// the agent (its named loggers share the root's level).
func (a *Agent) SetLogLevel(level string) error {
	l := hclog.LevelFromString(level)
	if l == hclog.NoLevel || l == hclog.Off {
		return fmt.Errorf("invalid: log level %q: use TRACE, DEBUG, INFO, WARN or ERROR", level)
	}
	a.logger.SetLevel(l)
	a.logger.Info("log level changed", "level", strings.ToUpper(l.String()))
	return nil
}

// TasksMemoryBytes is the memory of the running tasks on this agent's
// node (client.TasksMemoryBytes).
func (a *Agent) TasksMemoryBytes() (uint64, error) {
	if a.client == nil {
		return 0, errNoClient
	}
	return a.client.TasksMemoryBytes(), nil
}
