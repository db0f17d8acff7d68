//go:build !linux

package bridgenet

import (
	"errors"
	"net"
	"net/netip"
)

var errNotLinux = errors.New("bridge networking needs Linux")

func ensureBridge(string, netip.Addr, netip.Prefix) error { return errNotLinux }
func setupAllocNS(*AllocNet, string, string, int) error   { return errNotLinux }
func deleteLink(string) error                             { return nil }
func unmountNS(string) error                              { return nil }
func bindNS(string, string) error                         { return errNotLinux }

// DeleteBridge removes the bridge.
func DeleteBridge(string) error { return nil }

const utsDir = "/run/appmesh-uts"

func createUTS(string, string) error { return errNotLinux }

func listenInNS(string, string) (net.Listener, error) { return nil, errNotLinux }
