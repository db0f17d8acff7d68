package drivers_test

import (
	"context"
	"testing"

	"github.com/appmesh/appmesh/drivers/drivertest"
)

// TestPluginExecStreaming runs the interactive exec conformance check
// through real plugin subprocesses: the session crosses the go-plugin
// broker stream.
func TestPluginExecStreaming(t *testing.T) {
	t.Run("raw_exec", func(t *testing.T) {
		d, _ := launchDriver(t, "1")
		drivertest.RunExecStreaming(t, d)
	})
	t.Run("exec", func(t *testing.T) {
		d, _ := launchDriver(t, "exec")
		if fp, err := d.Fingerprint(context.Background()); err != nil || !fp.Healthy {
			t.Skipf("exec driver unhealthy here: %+v %v", fp, err)
		}
		drivertest.RunExecStreaming(t, d)
	})
}
