package cluster

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"time"
)

// nemesis injects faults into a Docker cluster, chosen from a seeded
// random source so that a schedule replays from its seed: partitions
// (minority/majority, an isolated leader, a bridge, one-way drops) made
// with iptables in the containers' network namespaces (entered from the
// host with nsenter: the FROM scratch image has no iptables), kill -9 and
// restart of a server, SIGSTOP/SIGCONT of a server (docker pause, the
// cgroup freezer), and kill -9 and restart of a client agent.
type nemesis struct {
	d      *dockerCluster
	rng    *rand.Rand
	logf   func(format string, args ...any)
	faults int            // faults injected
	kinds  map[string]int // faults injected by kind
	killed map[*dockerAgent]bool
	paused map[*dockerAgent]bool
}

func newNemesis(d *dockerCluster, seed uint64, logf func(string, ...any)) *nemesis {
	return &nemesis{d: d, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), logf: logf,
		kinds: map[string]int{}, killed: map[*dockerAgent]bool{}, paused: map[*dockerAgent]bool{}}
}

func (n *nemesis) all() []*dockerAgent {
	return append(append([]*dockerAgent{}, n.d.servers...), n.d.clients...)
}

// run injects faults until stop closes: each fault holds for 2-8 s, then
// everything heals and the cluster gets 1-4 s of calm.
func (n *nemesis) run(stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		kind, err := n.inject()
		if err != nil {
			return fmt.Errorf("inject %s: %w", kind, err)
		}
		n.faults++
		n.kinds[kind]++
		if !n.sleep(stop, 2000+n.rng.IntN(6000)) {
			return n.heal()
		}
		if err := n.heal(); err != nil {
			return err
		}
		if !n.sleep(stop, 1000+n.rng.IntN(3000)) {
			return nil
		}
	}
}

// sleep waits ms milliseconds; false if stop closed first.
func (n *nemesis) sleep(stop <-chan struct{}, ms int) bool {
	select {
	case <-stop:
		return false
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return true
	}
}

// inject applies one random fault.
func (n *nemesis) inject() (string, error) {
	s := n.d.servers
	switch n.rng.IntN(8) {
	case 0, 1: // a random split of all nodes with the servers 1|2 (2|3 of five)
		perm := n.rng.Perm(len(s))
		var minority, majority []*dockerAgent
		for i, p := range perm {
			if i < (len(s)-1)/2 {
				minority = append(minority, s[p])
			} else {
				majority = append(majority, s[p])
			}
		}
		for _, c := range n.d.clients {
			if n.rng.IntN(2) == 0 {
				minority = append(minority, c)
			} else {
				majority = append(majority, c)
			}
		}
		n.logf("nemesis: partition %s | %s", names(minority), names(majority))
		return "partition-halves", n.cutGroups(minority, majority)
	case 2: // the leader alone
		l := n.leader()
		var rest []*dockerAgent
		for _, a := range n.all() {
			if a != l {
				rest = append(rest, a)
			}
		}
		n.logf("nemesis: isolate the leader %s", l.name)
		return "isolate-leader", n.cutGroups([]*dockerAgent{l}, rest)
	case 3: // bridge: two servers cannot see each other, the third sees both
		perm := n.rng.Perm(len(s))
		a, bridge, b := s[perm[0]], s[perm[1]], s[perm[2]]
		n.logf("nemesis: bridge %s <-> %s <-> %s (%s and %s cut)", a.name, bridge.name, b.name, a.name, b.name)
		return "bridge", n.cutGroups([]*dockerAgent{a}, []*dockerAgent{b})
	case 4: // one way: to hears nothing from from
		perm := n.rng.Perm(len(s))
		from, to := s[perm[0]], s[perm[1]]
		if n.rng.IntN(2) == 0 {
			from = n.leader()
			to = s[(indexOf(s, from)+1+n.rng.IntN(len(s)-1))%len(s)]
		}
		n.logf("nemesis: one-way drop %s -> %s", from.name, to.name)
		return "one-way", n.drop(to, from)
	case 5: // kill -9 of a server (the leader half the time), restarted at heal
		a := s[n.rng.IntN(len(s))]
		if n.rng.IntN(2) == 0 {
			a = n.leader()
		}
		if len(s) >= 5 && n.rng.IntN(2) == 0 {
			return n.killTwo(a)
		}
		n.logf("nemesis: kill -9 server %s", a.name)
		n.killed[a] = true
		_, err := n.d.docker("kill", "-s", "KILL", a.container)
		return "kill-server", err
	case 6: // SIGSTOP of a server (the leader half the time), SIGCONT at heal
		a := s[n.rng.IntN(len(s))]
		if n.rng.IntN(2) == 0 {
			a = n.leader()
		}
		n.logf("nemesis: pause server %s", a.name)
		n.paused[a] = true
		_, err := n.d.docker("pause", a.container)
		return "pause-server", err
	default: // kill -9 of a client agent, restarted at once or at heal
		c := n.d.clients[n.rng.IntN(len(n.d.clients))]
		n.logf("nemesis: kill -9 client %s", c.name)
		if _, err := n.d.docker("kill", "-s", "KILL", c.container); err != nil {
			return "restart-client", err
		}
		n.killed[c] = true // heal starts it, whether or not it is up again by then
		if n.rng.IntN(2) == 0 {
			if _, err := n.d.docker("wait", c.container); err != nil {
				return "restart-client", err
			}
			_, err := n.d.docker("start", c.container)
			return "restart-client", err
		}
		return "restart-client", nil
	}
}

// killTwo kills a and one other server at once: on five servers the
// other three keep a quorum, and the two come back together at heal. (Only
// drawn on five servers, so that three-server seeds replay as before.)
func (n *nemesis) killTwo(a *dockerAgent) (string, error) {
	s := n.d.servers
	b := s[(indexOf(s, a)+1+n.rng.IntN(len(s)-1))%len(s)]
	n.logf("nemesis: kill -9 servers %s and %s", a.name, b.name)
	for _, x := range []*dockerAgent{a, b} {
		n.killed[x] = true
		if _, err := n.d.docker("kill", "-s", "KILL", x.container); err != nil {
			return "kill-two-servers", err
		}
	}
	return "kill-two-servers", nil
}

// leader is the current leader as the servers see it, or a random server. It
// draws from the seeded source whether or not it finds a leader, so that
// the faults that follow are the same on a replay.
func (n *nemesis) leader() *dockerAgent {
	fallback := n.d.servers[n.rng.IntN(len(n.d.servers))]
	for _, s := range n.d.servers {
		if n.killed[s] || n.paused[s] {
			continue
		}
		l, err := s.api.leader()
		if err != nil || l == "" {
			continue
		}
		for _, c := range n.d.servers {
			if c.rpcAddr() == l {
				return c
			}
		}
	}
	return fallback
}

func indexOf(as []*dockerAgent, a *dockerAgent) int {
	for i, x := range as {
		if x == a {
			return i
		}
	}
	return 0
}

// cutGroups drops all traffic between the two groups, both ways.
func (n *nemesis) cutGroups(a, b []*dockerAgent) error {
	for _, x := range a {
		for _, y := range b {
			if err := n.drop(x, y); err != nil {
				return err
			}
			if err := n.drop(y, x); err != nil {
				return err
			}
		}
	}
	return nil
}

// drop makes to discard every packet from from.
func (n *nemesis) drop(to, from *dockerAgent) error {
	return n.iptables(to, "-A", "INPUT", "-s", from.ip, "-j", "DROP")
}

// iptables runs the host's iptables in a container's network namespace.
func (n *nemesis) iptables(a *dockerAgent, args ...string) error {
	out, err := n.d.docker("inspect", "-f", "{{.State.Pid}}", a.container)
	if err != nil {
		return err
	}
	pid := strings.TrimSpace(out)
	if pid == "" || pid == "0" {
		return nil // not running: nothing to filter
	}
	cmd := exec.CommandContext(n.d.ctx, "nsenter", append([]string{"-t", pid, "-n", "iptables", "-w"}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nsenter -t %s -n iptables %s (%s): %v: %s", pid, strings.Join(args, " "), a.name, err, strings.TrimSpace(string(b)))
	}
	return nil
}

// heal removes every fault: the filters go, paused servers resume, killed
// agents start again (with their data: docker start keeps the container's
// file system).
func (n *nemesis) heal() error {
	for _, a := range n.all() {
		if n.paused[a] {
			if _, err := n.d.docker("unpause", a.container); err != nil {
				return err
			}
			delete(n.paused, a)
		}
		if n.killed[a] {
			if _, err := n.d.docker("start", a.container); err != nil {
				return err
			}
			delete(n.killed, a)
		}
		if err := n.iptables(a, "-F", "INPUT"); err != nil {
			return err
		}
	}
	n.logf("nemesis: healed")
	return nil
}

func names(as []*dockerAgent) string {
	var s []string
	for _, a := range as {
		s = append(s, a.name)
	}
	return strings.Join(s, ",")
}

// haveNemesisTools says why the host cannot partition containers, if so.
func haveNemesisTools() error {
	for _, tool := range []string{"nsenter", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found on the host: %v", tool, err)
		}
	}
	return nil
}
