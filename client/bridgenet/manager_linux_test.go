//go:build linux

package bridgenet

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// inNS runs fn on a thread switched into the namespace at path for the
// call only (the thread is dropped if it cannot switch back).
func inNS(path string, fn func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		target, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- err
			return
		}
		fn()
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- nil
	}()
	return <-errc
}

// listenIn opens a TCP listener inside the namespace at path.
func listenIn(t *testing.T, path, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var lerr error
	if err := inNS(path, func() { ln, lerr = net.Listen("tcp", addr) }); err != nil || lerr != nil {
		t.Fatalf("listening in the namespace: %v %v", err, lerr)
	}
	return ln
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestBridgeSetupForwardTeardown builds a real bridge, namespace and veth,
// serves inside the namespace and reaches it through the mapped host port.
func TestBridgeSetupForwardTeardown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating bridges and network namespaces needs root")
	}
	bridge := fmt.Sprintf("amt%d", os.Getpid()%100000)
	m, err := New(Config{StateDir: t.TempDir(), BridgeName: bridge, Subnet: "10.251.7.0/24",
		HostIP: "127.0.0.1", NetnsPrefix: "amtest-"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.RemoveBridge() })
	allocID := "0123abcd-0000-4000-8000-" + strconv.Itoa(os.Getpid())
	hostPort := freePort(t)
	an, err := m.Setup(allocID, Request{Ports: []PortMap{{Label: "http", HostPort: hostPort, TaskPort: 8080}}, Hostname: "amtest-host"})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(func() { _ = m.Teardown(allocID) })
	if an.UTSPath == "" {
		t.Fatal("a hostname gave no UTS namespace")
	}
	if _, err := os.Stat(an.UTSPath); err != nil {
		t.Fatalf("UTS namespace file: %v", err)
	}
	if h, _ := os.Hostname(); h == "amtest-host" {
		t.Fatal("setting the allocation's host name renamed the node")
	}
	if an.IP.String() != "10.251.7.2" {
		t.Fatalf("allocation address = %s, want 10.251.7.2", an.IP)
	}

	ln := listenIn(t, an.NetNSPath, an.IP.String()+":8080")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "hello from %s\n", c.LocalAddr())
			c.Close()
		}
	}()
	// The address is not on the host: only the bridge reaches it.
	if c, err := net.DialTimeout("tcp", "127.0.0.1:8080", time.Second); err == nil {
		c.Close()
		t.Log("note: something else listens on the host's 127.0.0.1:8080")
	}
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", hostPort), 10*time.Second)
	if err != nil {
		t.Fatalf("dialing the mapped host port: %v", err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || line != "hello from 10.251.7.2:8080\n" {
		t.Fatalf("reply through the forwarder = %q (%v)", line, err)
	}

	// Setup again (a restarted agent re-attaching) keeps address and wiring.
	m.Detach(allocID)
	an2, err := m.Setup(allocID, Request{Ports: []PortMap{{Label: "http", HostPort: hostPort, TaskPort: 8080}}})
	if err != nil || an2.IP != an.IP {
		t.Fatalf("re-attach = %v (%v), want %s", an2, err, an.IP)
	}

	if err := m.Teardown(allocID); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if _, err := os.Stat(an.NetNSPath); !os.IsNotExist(err) {
		t.Fatalf("namespace file %s still there after teardown (%v)", an.NetNSPath, err)
	}
	if _, err := os.Stat(an.UTSPath); !os.IsNotExist(err) {
		t.Fatalf("UTS namespace file %s still there after teardown (%v)", an.UTSPath, err)
	}
	if _, err := netlink.LinkByName(vethName(allocID)); err == nil {
		t.Fatalf("veth %s still there after teardown", vethName(allocID))
	}
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", hostPort), time.Second); err == nil {
		c.Close()
		t.Fatal("the host port still accepts after teardown")
	}
	if _, ok := m.ipam.Lookup(allocID); ok {
		t.Fatal("address still held after teardown")
	}
}

// TestBridgeSweepRemovesUnknownAllocs: a network left by an allocation the
// client no longer runs (collected while the agent was down) is removed by
// Sweep; the one still running stays.
func TestBridgeSweepRemovesUnknownAllocs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating bridges and network namespaces needs root")
	}
	bridge := fmt.Sprintf("ams%d", os.Getpid()%100000)
	m, err := New(Config{StateDir: t.TempDir(), BridgeName: bridge, Subnet: "10.251.8.0/24",
		HostIP: "127.0.0.1", NetnsPrefix: "amsweep-"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.RemoveBridge() })
	keep, gone := "aaaa1111-keep-"+strconv.Itoa(os.Getpid()), "bbbb2222-gone-"+strconv.Itoa(os.Getpid())
	for _, id := range []string{keep, gone} {
		if _, err := m.Setup(id, Request{}); err != nil {
			t.Fatalf("setup %s: %v", id, err)
		}
		t.Cleanup(func() { _ = m.Teardown(id) })
	}
	m.Sweep(func(id string) bool { return id == keep })
	if _, err := os.Stat(m.NetNSPath(gone)); !os.IsNotExist(err) {
		t.Fatalf("swept allocation's namespace still there (%v)", err)
	}
	if _, err := netlink.LinkByName(vethName(gone)); err == nil {
		t.Fatal("swept allocation's veth still there")
	}
	if _, err := os.Stat(m.NetNSPath(keep)); err != nil {
		t.Fatalf("kept allocation's namespace: %v", err)
	}
	if _, ok := m.ipam.Lookup(keep); !ok {
		t.Fatal("kept allocation lost its address")
	}
}
