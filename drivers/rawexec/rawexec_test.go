package rawexec_test

import (
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/appmesh/appmesh/drivers/drivertest"
	"github.com/appmesh/appmesh/drivers/rawexec"
)

func TestDriver(t *testing.T) {
	drivertest.RunProcessDriver(t, rawexec.New(hclog.NewNullLogger()), "raw_exec")
}

func TestExecStreaming(t *testing.T) {
	drivertest.RunExecStreaming(t, rawexec.New(hclog.NewNullLogger()))
}
