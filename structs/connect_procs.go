package structs

import (
	"fmt"
	"math"
	"reflect"
)

// maxProxyProcs bounds config.max_procs: more CPUs than any node has is
// a typo, not a setting.
const maxProxyProcs = 1024

// MaxProcs is the sidecar's config.max_procs, passed to the injected
// `appmesh connect proxy` as -max-procs: how many CPUs its Go runtime runs
// on at once. 0 (or unset) keeps the proxy's adaptive default.
func (p *ConsulProxy) MaxProcs() (int, error) {
	if p == nil {
		return 0, nil
	}
	return maxProcsIn(p.Config)
}

// MaxProcs is an ingress gateway's proxy.config.max_procs, as a sidecar's.
func (p *ConsulGatewayProxy) MaxProcs() (int, error) {
	if p == nil {
		return 0, nil
	}
	return maxProcsIn(p.Config)
}

// maxProcsIn reads max_procs from a free-form proxy config. Free-form
// config decodes numbers as float64 (HCL and JSON), msgpack may give an
// integer type; a fraction, a negative number or a string is an error.
func maxProcsIn(config map[string]any) (int, error) {
	v, ok := config["max_procs"]
	if !ok || v == nil {
		return 0, nil
	}
	var n float64
	switch rv := reflect.ValueOf(v); {
	case rv.CanFloat():
		n = rv.Float()
	case rv.CanInt():
		n = float64(rv.Int())
	case rv.CanUint():
		n = float64(rv.Uint())
	default:
		return 0, fmt.Errorf("max_procs must be a whole number of CPUs, not %T %v", v, v)
	}
	if n != math.Trunc(n) || n < 0 || n > maxProxyProcs {
		return 0, fmt.Errorf("max_procs %v is invalid: use a whole number from 0 (adaptive, the default) to %d", v, maxProxyProcs)
	}
	return int(n), nil
}
