package bridgenet

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// The bridge's outbound NAT: the allocations' traffic that leaves through
// another interface is masqueraded as the host, and the forward chain lets
// it (and its answers) through even where Docker set the FORWARD policy to
// drop. The rules are iptables' (the binary, which speaks nftables or
// legacy as the host's Docker does, so the two never disagree about which
// tables exist), carry a comment naming the bridge, are checked before
// they are added (a restarted agent adds none twice) and are removed with
// the bridge.

// natRule is one iptables rule: its table, chain and match.
type natRule struct {
	table, chain string
	spec         []string
}

// natRules are the rules of one bridge and subnet.
func natRules(bridge string, subnet netip.Prefix) []natRule {
	tag := []string{"-m", "comment", "--comment", "appmesh bridge " + bridge}
	forward := forwardChain()
	return []natRule{
		{"nat", "POSTROUTING", append([]string{"-s", subnet.String(), "!", "-o", bridge, "-j", "MASQUERADE"}, tag...)},
		{"filter", forward, append([]string{"-i", bridge, "!", "-o", bridge, "-j", "ACCEPT"}, tag...)},
		{"filter", forward, append([]string{"-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}, tag...)},
	}
}

// forwardChain is DOCKER-USER where Docker made it (Docker's FORWARD chain
// drops what its own chains do not accept, and DOCKER-USER is the place it
// keeps for the host's rules), FORWARD otherwise.
func forwardChain() string {
	if iptables("-t", "filter", "-n", "-L", "DOCKER-USER") == nil {
		return "DOCKER-USER"
	}
	return "FORWARD"
}

// ensureNAT adds the bridge's rules that are missing.
func ensureNAT(bridge string, subnet netip.Prefix) error {
	if _, err := exec.LookPath("iptables"); err != nil {
		return fmt.Errorf("outbound NAT needs the iptables command (Debian package iptables): %w", err)
	}
	for _, r := range natRules(bridge, subnet) {
		if iptables(append([]string{"-t", r.table, "-C", r.chain}, r.spec...)...) == nil {
			continue // already there
		}
		// Inserted first: a rule after Docker's would never be reached.
		if err := iptables(append([]string{"-t", r.table, "-I", r.chain, "1"}, r.spec...)...); err != nil {
			return err
		}
	}
	return nil
}

// removeNAT deletes the bridge's rules (every copy; missing is no error).
func removeNAT(bridge string, subnet netip.Prefix) error {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil // nothing can have been added
	}
	var errs []error
	for _, r := range natRules(bridge, subnet) {
		for i := 0; i < 8 && iptables(append([]string{"-t", r.table, "-C", r.chain}, r.spec...)...) == nil; i++ {
			if err := iptables(append([]string{"-t", r.table, "-D", r.chain}, r.spec...)...); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// iptables runs the iptables command with args (no shell); -w waits for
// the xtables lock another program may hold.
func iptables(args ...string) error {
	cmd := exec.Command("iptables", append([]string{"-w", "5"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
