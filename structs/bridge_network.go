package structs

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Network modes of a group's network block.
const (
	NetworkModeHost   = "host"
	NetworkModeBridge = "bridge"
)

// DNSConfig is a network block's `dns` block: the resolv.conf the tasks of
// a bridge-mode allocation get.
//
//	dns {
//	  servers  = ["10.0.0.2"]
//	  searches = ["service.internal"]
//	  options  = ["ndots:2"]
//	}
type DNSConfig struct {
	Servers  []string `json:"servers,omitempty"`
	Searches []string `json:"searches,omitempty"`
	Options  []string `json:"options,omitempty"`
}

// Copy returns a deep copy.
func (d *DNSConfig) Copy() *DNSConfig {
	if d == nil {
		return nil
	}
	return &DNSConfig{
		Servers:  append([]string(nil), d.Servers...),
		Searches: append([]string(nil), d.Searches...),
		Options:  append([]string(nil), d.Options...),
	}
}

// IsBridge reports whether the block asks for bridge networking.
func (n *NetworkResource) IsBridge() bool { return n != nil && n.Mode == NetworkModeBridge }

var (
	validHostname = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
	// A search domain or option is one word of resolv.conf: no blanks, no
	// newline that would start a directive of its own.
	validResolvWord = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,253}$`)
)

// validateNetworkMode checks mode, hostname and dns.
func validateNetworkMode(v *ValidationError, n *NetworkResource) {
	switch n.Mode {
	case "", NetworkModeHost, NetworkModeBridge:
	default:
		v.Add("mode", "%q is not a network mode: use \"host\" (the default) or \"bridge\"", n.Mode)
	}
	if n.Hostname != "" {
		if !n.IsBridge() {
			v.Add("hostname", "needs mode = \"bridge\": in host mode the tasks share the node's host name")
		} else if len(n.Hostname) > 64 || !validHostname.MatchString(n.Hostname) {
			v.Add("hostname", "%q is not a valid host name (letters, digits, '-' and '.', at most 64 characters)", n.Hostname)
		}
	}
	if n.DNS == nil {
		return
	}
	if !n.IsBridge() {
		v.Add("dns", "needs mode = \"bridge\": in host mode the tasks use the node's resolver")
	}
	for _, s := range n.DNS.Servers {
		if _, err := netip.ParseAddr(s); err != nil {
			v.Add("dns", "server %q is not an IP address", s)
		}
	}
	for _, s := range n.DNS.Searches {
		if !validResolvWord.MatchString(s) {
			v.Add("dns", "search domain %q is invalid", s)
		}
	}
	for _, s := range n.DNS.Options {
		if !validResolvWord.MatchString(s) {
			v.Add("dns", "option %q is invalid", s)
		}
	}
}

// ResolvConf renders the block as a resolv.conf file.
func (d *DNSConfig) ResolvConf() string {
	var b strings.Builder
	b.WriteString("# written by appmesh from the group's network.dns block\n")
	for _, s := range d.Servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(d.Searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(d.Searches, " "))
	}
	if len(d.Options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(d.Options, " "))
	}
	return b.String()
}
