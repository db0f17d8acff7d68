//go:build linux

package bridgenet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ensureBridge creates the bridge with the gateway address (once; an
// existing bridge is reused) and turns on IPv4 forwarding.
func ensureBridge(name string, gw netip.Addr, subnet netip.Prefix) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if !errors.As(err, &nf) {
			return fmt.Errorf("looking up the bridge: %w", err)
		}
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
		if err := netlink.LinkAdd(br); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("creating the bridge: %w", err)
		}
		if link, err = netlink.LinkByName(name); err != nil {
			return fmt.Errorf("looking up the new bridge: %w", err)
		}
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: gw.AsSlice(), Mask: net.CIDRMask(subnet.Bits(), 32)}}
	if err := netlink.AddrReplace(link, addr); err != nil {
		return fmt.Errorf("giving the bridge address %s: %w", addr.IPNet, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("bringing the bridge up: %w", err)
	}
	// Needed for the allocations' own outbound traffic to leave the bridge.
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enabling IPv4 forwarding: %w", err)
	}
	return nil
}

// createNS creates the named namespace file at path. The creating thread
// is switched into the new namespace by the kernel, so it runs on its own
// locked thread that is switched back (or left to die if that fails).
func createNS(path string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("opening the agent's namespace: %w", err)
			return
		}
		defer orig.Close()
		ns, err := netns.NewNamed(filepath.Base(path))
		if err != nil {
			errc <- fmt.Errorf("creating namespace %s: %w", path, err)
			_ = netns.Set(orig)
			return
		}
		ns.Close()
		if err := netns.Set(orig); err != nil {
			// Leaving the thread locked makes the runtime end it.
			errc <- fmt.Errorf("returning to the agent's namespace: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- nil
	}()
	return <-errc
}

// setupAllocNS creates what is missing of the allocation's namespace and
// veth pair: the host end on the bridge, eth0 inside with the address and
// a default route through the bridge, lo up.
func setupAllocNS(an *AllocNet, bridge, hostVeth string, bits int) error {
	if filepath.Dir(an.NetNSPath) != netnsDir {
		return fmt.Errorf("namespace path %s is not under %s", an.NetNSPath, netnsDir)
	}
	if _, err := os.Stat(an.NetNSPath); errors.Is(err, os.ErrNotExist) {
		if err := createNS(an.NetNSPath); err != nil {
			return err
		}
	}
	nsh, err := netns.GetFromPath(an.NetNSPath)
	if err != nil {
		return fmt.Errorf("opening namespace %s: %w", an.NetNSPath, err)
	}
	defer nsh.Close()
	if _, err := netlink.LinkByName(hostVeth); err == nil {
		return nil // re-attach: a running allocation keeps its wiring
	}
	br, err := netlink.LinkByName(bridge)
	if err != nil {
		return fmt.Errorf("looking up bridge %s: %w", bridge, err)
	}
	peerName := "p" + hostVeth[1:]
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostVeth, MasterIndex: br.Attrs().Index}, PeerName: peerName}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("creating veth %s: %w", hostVeth, err)
	}
	host, err := netlink.LinkByName(hostVeth)
	if err != nil {
		return fmt.Errorf("looking up veth %s: %w", hostVeth, err)
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return fmt.Errorf("bringing veth %s up: %w", hostVeth, err)
	}
	peer, err := netlink.LinkByName(peerName)
	if err != nil {
		return fmt.Errorf("looking up veth peer %s: %w", peerName, err)
	}
	if err := netlink.LinkSetNsFd(peer, int(nsh)); err != nil {
		return fmt.Errorf("moving veth peer into the namespace: %w", err)
	}
	return configureInside(nsh, peerName, an, bits)
}

// configureInside names the peer eth0 and gives it the address and route.
func configureInside(nsh netns.NsHandle, peerName string, an *AllocNet, bits int) error {
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return fmt.Errorf("opening netlink in the namespace: %w", err)
	}
	defer h.Close()
	peer, err := h.LinkByName(peerName)
	if err != nil {
		return fmt.Errorf("looking up the veth peer in the namespace: %w", err)
	}
	if err := h.LinkSetName(peer, "eth0"); err != nil {
		return fmt.Errorf("renaming the veth peer to eth0: %w", err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: an.IP.AsSlice(), Mask: net.CIDRMask(bits, 32)}}
	if err := h.AddrAdd(peer, addr); err != nil {
		return fmt.Errorf("adding address %s to eth0: %w", addr.IPNet, err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		return fmt.Errorf("bringing eth0 up: %w", err)
	}
	if lo, err := h.LinkByName("lo"); err == nil {
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("bringing lo up: %w", err)
		}
	}
	route := &netlink.Route{LinkIndex: peer.Attrs().Index, Gw: an.Gateway.AsSlice()}
	if err := h.RouteAdd(route); err != nil {
		return fmt.Errorf("adding the default route via %s: %w", an.Gateway, err)
	}
	return nil
}

// deleteLink removes a link if it exists (a veth takes its peer along).
func deleteLink(name string) error {
	link, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return err
	}
	return netlink.LinkDel(link)
}

// bindNS makes the namespace file proc (another process's) reachable at
// path, as `ip netns attach` does.
func bindNS(proc, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		return fmt.Errorf("creating namespace file %s: %w", path, err)
	}
	f.Close()
	if err := unix.Mount(proc, path, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(path)
		return fmt.Errorf("binding %s at %s: %w", proc, path, err)
	}
	return nil
}

// unmountNS detaches the namespace's bind mount.
func unmountNS(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", path, err)
	}
	return nil
}

// DeleteBridge removes the bridge (tests, and an operator's cleanup).
func DeleteBridge(name string) error { return deleteLink(name) }
