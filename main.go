// Command appmesh is the single appmesh binary: agent, CLI and, when
// re-executed by a client as "appmesh driver-plugin NAME", a built-in
// driver plugin.
package main

import (
	"fmt"
	"os"

	"github.com/appmesh/appmesh/command"
	"github.com/appmesh/appmesh/drivers/builtin"
	"github.com/appmesh/appmesh/drivers/docker"
)

func main() {
	// Checked before the CLI: a plugin subprocess speaks the go-plugin
	// handshake on stdout, so nothing else may print there first.
	if len(os.Args) > 1 && os.Args[1] == "driver-plugin" {
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "Usage: appmesh driver-plugin NAME (started by the appmesh client, not by hand)")
			os.Exit(2)
		}
		if err := builtin.ServePlugin(os.Args[2]); err != nil {
			fmt.Fprintf(os.Stderr, "driver plugin %q: %v\n", os.Args[2], err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// The process of a bridge-mode allocation's pause container
	// (drivers/docker/pause.go): it only holds the namespaces.
	if len(os.Args) == 2 && os.Args[1] == docker.PauseArg {
		docker.HoldPause()
		os.Exit(0)
	}
	os.Exit(command.Run(os.Args[1:]))
}
