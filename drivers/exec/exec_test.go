package exec_test

import (
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers/drivertest"
	"github.com/appmesh/appmesh/drivers/exec"
)

func TestDriver(t *testing.T) {
	drivertest.RunProcessDriver(t, exec.New(hclog.NewNullLogger()), "exec")
}
