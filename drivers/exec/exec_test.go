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

func TestExecStreaming(t *testing.T) {
	drivertest.RunExecStreaming(t, exec.New(hclog.NewNullLogger()))
}
