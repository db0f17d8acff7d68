package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestBridgeNetworkMode runs a job file in Nomad's syntax with
// network { mode = "bridge" } on a real agent: an exec task (chroot) and a
// raw_exec task serve HTTP inside the allocation's own network namespace
// on ports 8080 and 9090, reached through the mapped host ports on
// 127.0.0.1; the exec task sees the dns block's resolv.conf, both tasks
// the block's hostname (their own UTS namespace); the server
// logs the bridge's address as its peer (it is not in the host's network).
// An agent restart re-attaches (same tasks, ports mapped again); stopping
// the job removes the namespace, the veth and the host ports.
func TestBridgeNetworkMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: bridge networking needs root")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Fatal("the tasks serve HTTP with /usr/bin/python3, which this host lacks: `make test` installs it (make python3)")
	}
	cfg := writeFile(t, "agent.hcl", "client {\n  enabled          = true\n  raw_exec_enabled = true\n}\n")
	// Not -dev: a -dev agent's allocations do not outlive it, and the
	// restart below must find the tasks still running.
	a := startAgent(t, agentOptions{config: cfg})
	ports := freePorts(t, 2)
	job := writeFile(t, "bridge.hcl", fmt.Sprintf(`job "bridged" {
  datacenters = ["*"]
  group "web" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    network {
      mode     = "bridge"
      hostname = "web-bridged"
      port "http" {
        static = %d
        to     = 8080
      }
      port "raw" {
        static = %d
        to     = 9090
      }
      dns {
        servers  = ["10.99.0.53"]
        searches = ["bridge.test"]
        options  = ["ndots:3"]
      }
    }
    task "exec" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "cat /etc/resolv.conf > resolv.txt && cat /proc/sys/kernel/hostname > host.txt && exec /usr/bin/python3 -m http.server 8080"]
      }
    }
    task "raw" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo raw-inside > marker.txt && cat /proc/sys/kernel/hostname > host.txt && exec /usr/bin/python3 -m http.server 9090"]
      }
    }
    task "udp" {
      driver = "raw_exec"
      config {
        command = "/usr/bin/python3"
        args    = ["-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 9090)); [s.sendto(b'udp:' + d, a) for d, a in iter(lambda: s.recvfrom(2048), None)]"]
      }
    }
  }
}
`, ports[0], ports[1]))
	if r := a.cli("job validate", job); r.code != 0 {
		a.fatalf("job validate: %s", r)
	}
	if r := a.cli("job run", "-detach", job); r.code != 0 {
		a.fatalf("job run: %s", r)
	}
	allocs := a.waitAllocs("bridged", "a running allocation", func(al []alloc) (bool, string) {
		return len(al) == 1 && (al[0].ClientStatus == "running" || al[0].ClientStatus == "failed"), describeAllocs(al)
	})
	allocID := allocs[0].ID
	if allocs[0].ClientStatus != "running" {
		st := a.cli("alloc status", allocID)
		a.fatalf("allocation failed: %s\nexec stderr: %s\nraw stderr: %s", st,
			a.cli("alloc logs", "-stderr", allocID, "exec"), a.cli("alloc logs", "-stderr", allocID, "raw"))
	}
	get := func(port int, path string) (string, error) {
		c := &http.Client{Timeout: 10 * time.Second}
		r, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
		if err != nil {
			return "", err
		}
		defer r.Body.Close()
		b, err := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusOK {
			return "", fmt.Errorf("status %d: %s", r.StatusCode, b)
		}
		return string(b), err
	}
	var resolv string
	failed := func() {
		if st := a.cli("alloc status", allocID); strings.Contains(st.stdout, "failed") || strings.Contains(st.stdout, "dead") {
			a.fatalf("a task stopped: %s\nexec stderr: %s\nraw stderr: %s", st,
				a.cli("alloc logs", "-stderr", allocID, "exec"), a.cli("alloc logs", "-stderr", allocID, "raw"))
		}
	}
	a.waitFor("the exec task's server through host port "+fmt.Sprint(ports[0]), func() (bool, string) {
		var err error
		resolv, err = get(ports[0], "/resolv.txt")
		if err != nil {
			failed()
		}
		return err == nil, fmt.Sprint(err)
	})
	for _, want := range []string{"nameserver 10.99.0.53\n", "search bridge.test\n", "options ndots:3\n"} {
		if !strings.Contains(resolv, want) {
			t.Errorf("the exec task's /etc/resolv.conf = %q, want it to contain %q", resolv, want)
		}
	}
	a.waitFor("the raw_exec task's server through host port "+fmt.Sprint(ports[1]), func() (bool, string) {
		body, err := get(ports[1], "/marker.txt")
		return err == nil && body == "raw-inside\n", fmt.Sprintf("%q %v", body, err)
	})
	// The same port maps UDP: the udp task's echo answers through it.
	a.waitFor("the udp task's echo through host port "+fmt.Sprint(ports[1])+"/udp", func() (bool, string) {
		got, err := udpAsk(fmt.Sprintf("127.0.0.1:%d", ports[1]), "ping")
		return err == nil && got == "udp:ping", fmt.Sprintf("%q %v", got, err)
	})
	for _, port := range ports {
		if body, err := get(port, "/host.txt"); err != nil || body != "web-bridged\n" {
			t.Errorf("host name seen by the task behind port %d = %q (%v), want the network block's web-bridged", port, body, err)
		}
	}
	// alloc exec lands in the allocation's network and host name too.
	for _, task := range []string{"exec", "raw"} {
		r := a.cli("alloc exec", "-i=false", "-t=false", allocID, task, "--", "/bin/sh", "-c", "cat /proc/sys/kernel/hostname; cat /proc/net/route")
		if r.code != 0 || !strings.Contains(r.stdout, "web-bridged\n") || !strings.Contains(r.stdout, "eth0") {
			t.Errorf("alloc exec in task %s: want the allocation's host name and eth0 route, got %s", task, r)
		}
	}
	if h, _ := os.Hostname(); h == "web-bridged" {
		t.Errorf("the node itself was renamed")
	}
	// The server's access log names its peer: the bridge's gateway, so the
	// task really is behind the bridge, not in the host's network.
	a.waitFor("the exec task's access log to show the bridge gateway as peer", func() (bool, string) {
		r := a.cli("alloc logs", "-stderr", allocID, "exec")
		return strings.Contains(r.stdout, "172.26.64.1 - -"), r.stdout
	})
	netnsPath := "/var/run/netns/appmesh-" + allocID
	utsPath := "/run/appmesh-uts/appmesh-" + allocID
	veth := "/sys/class/net/vam" + allocID[:8]
	for _, p := range []string{netnsPath, utsPath, veth} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("while running: %s missing: %v", p, err)
		}
	}

	// A restarted agent re-attaches: the tasks keep running in the same
	// namespace with the same address, and the ports are mapped again.
	a.restart()
	a.waitFor("the raw_exec task's server through its host port after the agent restart", func() (bool, string) {
		body, err := get(ports[1], "/marker.txt")
		return err == nil && body == "raw-inside\n", fmt.Sprintf("%q %v", body, err)
	})
	if _, err := get(ports[0], "/resolv.txt"); err != nil {
		t.Errorf("the exec task's port after the agent restart: %v", err)
	}
	if st := a.cli("alloc status", allocID); strings.Count(st.stdout, "Starts      = 1") != 3 {
		t.Errorf("after the agent restart the tasks should still be on their first start: %s", st)
	}

	if r := a.cli("job stop", "bridged"); r.code != 0 {
		a.fatalf("job stop: %s", r)
	}
	a.waitFor("the namespace, veth and host ports to be gone after job stop", func() (bool, string) {
		for _, p := range []string{netnsPath, utsPath, veth} {
			if _, err := os.Stat(p); err == nil {
				return false, p + " still exists"
			}
		}
		for _, port := range ports {
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
				c.Close()
				return false, fmt.Sprintf("host port %d still accepts", port)
			}
		}
		return true, ""
	})
}

// udpAsk sends msg to addr over UDP and returns the first answer.
func udpAsk(addr, msg string) (string, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
