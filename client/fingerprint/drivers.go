package fingerprint

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/drivers"
	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/go-hclog"
)

// RawExecName is the raw_exec driver, which runs tasks without isolation
// and therefore has to be enabled explicitly.
const RawExecName = "raw_exec"

// RawExecDisabled is the health description of a disabled raw_exec driver.
const RawExecDisabled = "disabled: set raw_exec enabled in client config"

// driverTimeout bounds one driver's fingerprint so that a hung plugin does
// not block node registration.
const driverTimeout = 10 * time.Second

// DriverSource hands out drivers by name.
type DriverSource interface {
	Dispense(name string) (drivers.Driver, error)
	Names() []string
}

// Drivers fingerprints every driver in parallel. raw_exec is not even
// launched unless rawExecEnabled. A driver that cannot be dispensed or
// fingerprinted is reported as not detected, with the reason.
func Drivers(ctx context.Context, src DriverSource, rawExecEnabled bool, logger hclog.Logger) map[string]*structs.DriverInfo {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	names := src.Names()
	out := make(map[string]*structs.DriverInfo, len(names))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, name := range names {
		if name == RawExecName && !rawExecEnabled {
			out[name] = &structs.DriverInfo{HealthDescription: RawExecDisabled}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			info := driverInfo(ctx, src, name, logger)
			mu.Lock()
			out[name] = info
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// InProcessFingerprinter is implemented by driver sources that can
// fingerprint some drivers without starting their plugin process.
type InProcessFingerprinter interface {
	FingerprintDriver(ctx context.Context, name string) (fp *drivers.Fingerprint, handled bool, err error)
}

func driverInfo(ctx context.Context, src DriverSource, name string, logger hclog.Logger) *structs.DriverInfo {
	ctx, cancel := context.WithTimeout(ctx, driverTimeout)
	defer cancel()
	fp, err := fingerprintOne(ctx, src, name)
	var unavailable *unavailableError
	if errors.As(err, &unavailable) {
		logger.Warn("driver unavailable", "driver", name, "error", unavailable.err)
		return &structs.DriverInfo{HealthDescription: "unavailable: " + unavailable.err.Error()}
	}
	if err != nil || fp == nil {
		logger.Warn("driver fingerprint failed", "driver", name, "error", err)
		desc := "fingerprint failed"
		if err != nil {
			desc += ": " + err.Error()
		}
		return &structs.DriverInfo{HealthDescription: desc}
	}
	info := &structs.DriverInfo{
		Detected:          true,
		Healthy:           fp.Healthy,
		HealthDescription: fp.HealthDescription,
		Attributes:        fp.Attributes,
	}
	if fp.ConfigSchema != nil {
		info.ConfigKeys, info.ConfigRequired = fp.ConfigSchema.Keys, fp.ConfigSchema.Required
	}
	return info
}

// DriverAttributes turns driver fingerprints into node attributes:
// driver.<name> = "1" for each detected driver and driver.<name>.<key> for
// the driver's own attributes, so constraints can use them.
func DriverAttributes(infos map[string]*structs.DriverInfo) map[string]string {
	attrs := map[string]string{}
	for name, info := range infos {
		if !info.Detected {
			continue
		}
		attrs["driver."+name] = "1"
		for k, v := range info.Attributes {
			if !strings.HasPrefix(k, "driver.") {
				k = "driver." + name + "." + k
			}
			attrs[k] = v
		}
	}
	return attrs
}

// unavailableError says the driver could not even be dispensed (its
// plugin failed to start), as opposed to a failed fingerprint.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return "unavailable: " + e.err.Error() }

// fingerprintOne asks the source directly when it can (no plugin process
// needed), else through the dispensed driver.
func fingerprintOne(ctx context.Context, src DriverSource, name string) (*drivers.Fingerprint, error) {
	if ipf, ok := src.(InProcessFingerprinter); ok {
		if fp, handled, err := ipf.FingerprintDriver(ctx, name); handled {
			return fp, err
		}
	}
	drv, err := src.Dispense(name)
	if err != nil {
		return nil, &unavailableError{err: err}
	}
	return drv.Fingerprint(ctx)
}
