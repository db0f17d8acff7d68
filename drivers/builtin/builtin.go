// Package builtin lists the drivers compiled into the appmesh binary and
// serves one of them as a plugin when the binary is re-executed as
// `appmesh driver-plugin <name>`. One plugin process per driver serves all
// of that driver's tasks, which are its children; a task costs its own
// process tree and a parked goroutine, never a helper process.
package builtin

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/drivers/docker"
	"github.com/appmesh/appmesh/drivers/exec"
	"github.com/appmesh/appmesh/drivers/rawexec"
)

var factories = map[string]func(hclog.Logger) drivers.Driver{
	docker.Name:  docker.New,
	exec.Name:    exec.New,
	rawexec.Name: rawexec.New,
}

// Names returns the built-in drivers' names, sorted.
func Names() []string {
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New returns the built-in driver called name, running in this process.
func New(name string, logger hclog.Logger) (drivers.Driver, error) {
	f, ok := factories[name]
	if !ok {
		return nil, fmt.Errorf("unknown built-in driver %q (built-in: %s)", name, strings.Join(Names(), ", "))
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return f(logger), nil
}

// ServePlugin serves the built-in driver called name as a plugin on this
// process's stdio and returns when the host goes away. The log goes to
// stderr as JSON, which the host's plugin client re-logs under its own
// logger; APPMESH_PLUGIN_LOG_LEVEL sets its level (default info).
func ServePlugin(name string) error {
	level := hclog.LevelFromString(os.Getenv("APPMESH_PLUGIN_LOG_LEVEL"))
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "driver." + name,
		Level:      level,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	d, err := New(name, logger)
	if err != nil {
		return err
	}
	drivers.Serve(d, logger)
	return nil
}
