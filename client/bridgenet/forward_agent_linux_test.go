package bridgenet

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"testing"
	"time"
)

// An allocation that asks for it reaches the agent's loopback address
// from inside its namespace (its own loopback), through a listener the
// manager puts there; an agent restart (Detach, Setup) puts it back, and
// one that does not ask gets nothing at that address.
func TestBridgeForwardsAgentAddr(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: creating bridges and network namespaces needs root")
	}
	agent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	go func() {
		for {
			c, err := agent.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "agent\n")
			c.Close()
		}
	}()
	bridge := fmt.Sprintf("amf%d", os.Getpid()%100000)
	m, err := New(Config{StateDir: t.TempDir(), BridgeName: bridge, Subnet: "10.251.9.0/24",
		HostIP: "127.0.0.1", NetnsPrefix: "amtest-", AgentAddr: agent.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.RemoveBridge() })
	dialAgent := func(nsPath string) (string, error) {
		var line string
		var derr error
		err := inNS(nsPath, func() {
			c, err := net.DialTimeout("tcp", agent.Addr().String(), 5*time.Second)
			if err != nil {
				derr = err
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			line, derr = bufio.NewReader(c).ReadString('\n')
		})
		if err != nil {
			return "", err
		}
		return line, derr
	}

	mesh := "0123abcd-0000-4000-8001-" + strconv.Itoa(os.Getpid())
	an, err := m.Setup(mesh, Request{AgentForward: true})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(func() { _ = m.Teardown(mesh) })
	if got, err := dialAgent(an.NetNSPath); err != nil || got != "agent\n" {
		t.Fatalf("the agent's address inside the namespace: %q %v", got, err)
	}
	m.Detach(mesh)
	if _, err := dialAgent(an.NetNSPath); err == nil {
		t.Fatal("the agent's address still answers in the namespace after Detach")
	}
	if _, err := m.Setup(mesh, Request{AgentForward: true}); err != nil {
		t.Fatalf("re-attach: %v", err)
	}
	if got, err := dialAgent(an.NetNSPath); err != nil || got != "agent\n" {
		t.Fatalf("the agent's address after re-attach: %q %v", got, err)
	}

	plain := "0123abcd-0000-4000-8002-" + strconv.Itoa(os.Getpid())
	an2, err := m.Setup(plain, Request{})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(func() { _ = m.Teardown(plain) })
	if got, err := dialAgent(an2.NetNSPath); err == nil {
		t.Fatalf("an allocation without mesh proxies reaches the agent's loopback address: %q", got)
	}
}
