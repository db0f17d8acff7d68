package structs

import "fmt"

// nomadOnlyDrivers are task drivers of Nomad (built in or common plugins)
// that appmesh does not ship. A job may still use one: a third-party
// plugin of that name on a client provides it (drivers.md).
var nomadOnlyDrivers = map[string]bool{
	"java": true, "qemu": true, "podman": true, "containerd-driver": true,
	"nspawn": true, "lxc": true, "singularity": true, "exec2": true,
}

// MissingDriverReason says why a node cannot run a task of driver, naming
// Nomad's drivers that appmesh lacks as such.
func MissingDriverReason(driver string) string {
	if nomadOnlyDrivers[driver] {
		return fmt.Sprintf("missing driver %q (a Nomad driver appmesh does not include; a client plugin appmesh-driver-%s could provide it)", driver, driver)
	}
	return fmt.Sprintf("missing driver %q", driver)
}
