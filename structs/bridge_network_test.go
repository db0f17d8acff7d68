package structs

import (
	"strings"
	"testing"
)

func TestNetworkModeValidation(t *testing.T) {
	cases := []struct {
		name string
		net  *NetworkResource
		want string // "" valid
	}{
		{"host default", &NetworkResource{}, ""},
		{"bridge", &NetworkResource{Mode: "bridge", DNS: &DNSConfig{Servers: []string{"10.0.0.2"}, Searches: []string{"svc.local"}, Options: []string{"ndots:2"}}}, ""},
		{"unknown mode", &NetworkResource{Mode: "cni/x"}, `mode: "cni/x" is not a network mode`},
		{"dns in host mode", &NetworkResource{DNS: &DNSConfig{}}, `dns: needs mode = "bridge"`},
		{"bad server", &NetworkResource{Mode: "bridge", DNS: &DNSConfig{Servers: []string{"dns.example"}}}, `server "dns.example" is not an IP address`},
		{"newline in option", &NetworkResource{Mode: "bridge", DNS: &DNSConfig{Options: []string{"a\nnameserver 1.1.1.1"}}}, `option`},
		{"hostname", &NetworkResource{Mode: "bridge", Hostname: "web-1.internal"}, ""},
		{"bad hostname", &NetworkResource{Mode: "bridge", Hostname: "web_1"}, `"web_1" is not a valid host name`},
		{"hostname in host mode", &NetworkResource{Hostname: "web"}, `hostname: needs mode = "bridge"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.net.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestDNSResolvConf(t *testing.T) {
	d := &DNSConfig{Servers: []string{"10.0.0.2", "10.0.0.3"}, Searches: []string{"a.local", "b.local"}, Options: []string{"ndots:2"}}
	got := d.ResolvConf()
	for _, want := range []string{"nameserver 10.0.0.2\nnameserver 10.0.0.3\n", "search a.local b.local\n", "options ndots:2\n"} {
		if !strings.Contains(got, want) {
			t.Fatalf("resolv.conf %q lacks %q", got, want)
		}
	}
}
