//go:build linux

package bridgenet

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// outsideNet makes a network the test owns, standing for "another
// network": a namespace joined to the host by a veth pair, the host end
// 10.252.<n>.1/24 and the far end 10.252.<n>.2/24 with no route back to
// the bridge's subnet. It returns the namespace path and the far address.
func outsideNet(t *testing.T, n int) (string, string) {
	t.Helper()
	name := fmt.Sprintf("amout%d", os.Getpid()%100000)
	path := netnsDir + "/" + name
	if err := createNS(path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = deleteNS(path) })
	hostEnd, farEnd := name+"h", name+"f"
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostEnd}, PeerName: farEnd}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = deleteLink(hostEnd) })
	host, _ := netlink.LinkByName(hostEnd)
	mustNL(t, netlink.AddrAdd(host, mustAddr(t, fmt.Sprintf("10.252.%d.1/24", n))))
	mustNL(t, netlink.LinkSetUp(host))
	far, _ := netlink.LinkByName(farEnd)
	nsh, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer nsh.Close()
	mustNL(t, netlink.LinkSetNsFd(far, int(nsh)))
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	far, err = h.LinkByName(farEnd)
	if err != nil {
		t.Fatal(err)
	}
	mustNL(t, h.AddrAdd(far, mustAddr(t, fmt.Sprintf("10.252.%d.2/24", n))))
	mustNL(t, h.LinkSetUp(far))
	return path, fmt.Sprintf("10.252.%d.2", n)
}

func mustNL(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustAddr(t *testing.T, s string) *netlink.Addr {
	t.Helper()
	a, err := netlink.ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// dialFrom dials addr from inside the namespace at path and returns the
// first line the server sends.
func dialFrom(path, addr string) (string, error) {
	var c net.Conn
	var derr error
	if err := inNS(path, func() { c, derr = net.DialTimeout("tcp", addr, 3*time.Second) }); err != nil {
		return "", err
	}
	if derr != nil {
		return "", derr
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return bufio.NewReader(c).ReadString('\n')
}

// TestBridgeOutboundNAT: an allocation reaches a network beyond the host
// (a namespace the test made, with no route back to the bridge) because
// its traffic is masqueraded: the far side sees the host's address. The
// rules are added once however often the bridge is set up, and removed
// with it. Without NAT the same dial fails.
func TestBridgeOutboundNAT(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating bridges, namespaces and iptables rules needs root")
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		t.Fatal("this test needs the iptables command (Debian package iptables), which `make test` installs")
	}
	outside, farIP := outsideNet(t, 9)
	ln := listenIn(t, outside, farIP+":7070")
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "peer %s\n", c.RemoteAddr().(*net.TCPAddr).IP)
			c.Close()
		}
	}()
	target := farIP + ":7070"

	// id's first 8 characters name the veth: unique per allocation.
	run := func(id, bridge, subnet string, disable bool) (*Manager, *AllocNet, string) {
		m, err := New(Config{StateDir: t.TempDir(), BridgeName: bridge, Subnet: subnet,
			HostIP: "127.0.0.1", NetnsPrefix: "amnat-", DisableNAT: disable})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.RemoveBridge() })
		an, err := m.Setup(id, Request{})
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
		t.Cleanup(func() { _ = m.Teardown(id) })
		return m, an, id
	}

	// Without NAT first: the far side cannot answer the bridge's address.
	_, noNAT, _ := run("cafe0001-nonat", fmt.Sprintf("amx%d", os.Getpid()%100000), "10.251.11.0/24", true)
	if line, err := dialFrom(noNAT.NetNSPath, target); err == nil {
		t.Fatalf("without NAT the allocation reached the outside network (%q): the test cannot tell NAT apart", line)
	}

	bridge := fmt.Sprintf("amn%d", os.Getpid()%100000)
	m, an, id := run("cafe0002-nat", bridge, "10.251.10.0/24", false)
	line, err := dialFrom(an.NetNSPath, target)
	if err != nil {
		t.Fatalf("the allocation cannot reach %s through the NAT: %v\n%s", target, err, natDump(bridge))
	}
	if line != "peer 10.252.9.1\n" {
		t.Fatalf("the far side saw %q, want the host's address 10.252.9.1 (masqueraded)", line)
	}
	// A second setup (another allocation, a restarted agent) adds no copies.
	m2, err := New(Config{StateDir: t.TempDir(), BridgeName: bridge, Subnet: "10.251.10.0/24",
		HostIP: "127.0.0.1", NetnsPrefix: "amnat2-"})
	if err != nil {
		t.Fatal(err)
	}
	id2 := "cafe0003-nat2-" + strconv.Itoa(os.Getpid())
	if _, err := m2.Setup(id2, Request{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m2.Teardown(id2) })
	if n := strings.Count(natDump(bridge), "\n"); n != 3 {
		t.Fatalf("%d rules tagged for the bridge after two setups, want 3:\n%s", n, natDump(bridge))
	}
	_ = m.Teardown(id)
	if err := m.RemoveBridge(); err != nil {
		t.Fatal(err)
	}
	if d := natDump(bridge); d != "" {
		t.Fatalf("rules left after the bridge was removed:\n%s", d)
	}
}

// natDump lists the rules tagged for bridge (iptables -S output).
func natDump(bridge string) string {
	var out strings.Builder
	for _, table := range []string{"nat", "filter"} {
		b, _ := exec.Command("iptables", "-w", "5", "-t", table, "-S").Output()
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, `"appmesh bridge `+bridge+`"`) {
				out.WriteString(l + "\n")
			}
		}
	}
	return out.String()
}
