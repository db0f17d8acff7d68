package agent

import (
	"bytes"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestChangedSettingsNamesSettingsAsTheFileDoes(t *testing.T) {
	base := func() *Config {
		c := DefaultConfig()
		c.Client.Meta = map[string]string{}
		return c
	}
	cases := map[string]struct {
		mut  func(*Config)
		want []string
	}{
		"nothing":             {func(c *Config) { c.Client.Meta = nil }, nil},
		"level":               {func(c *Config) { c.LogLevel = "DEBUG" }, []string{"log_level"}},
		"port and meta":       {func(c *Config) { c.Ports.HTTP = 1; c.Client.Meta = map[string]string{"a": "b"} }, []string{"ports.http", "client.meta"}},
		"consul block":        {func(c *Config) { c.Consul = &ConsulConfig{Token: "secret-value"} }, []string{"consul"}},
		"server mode":         {func(c *Config) { c.Server.Enabled = true }, []string{"server.enabled"}},
		"data dir and a list": {func(c *Config) { c.DataDir = "/x"; c.Server.Join = []string{"a"} }, []string{"data_dir", "server.join"}},
	}
	for name, tc := range cases {
		next := base()
		tc.mut(next)
		got := changedSettings(base(), next)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: changed %v, want %v", name, got, tc.want)
		}
	}
	// Inside a block present on both sides, the setting is named, never
	// its value (the token is a secret).
	old, next := base(), base()
	old.Consul, next.Consul = &ConsulConfig{Token: "a"}, &ConsulConfig{Token: "b"}
	if got := changedSettings(old, next); !reflect.DeepEqual(got, []string{"consul.token"}) {
		t.Errorf("consul token change: %v", got)
	}
}

// syncBuffer is a log output the test reads while the agent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAgentReload reloads a real dev agent: the log level and the
// configured meta change live (a label set through the API stays over the
// file's value), a changed port is named as needing a restart, and a
// configuration that does not validate changes nothing.
func TestAgentReload(t *testing.T) {
	configure := func(c *Config) {
		c.Client.Meta = map[string]string{"zone": "a", "rack": "r1", "gone": "x"}
	}
	cfg := DevConfig()
	cfg.Name, cfg.LogLevel = "reload", "ERROR"
	cfg.Ports.HTTP, cfg.Ports.RPC, cfg.Ports.Gossip = freeTCPPort(t), freeTCPPort(t), freeTCPPort(t)
	configure(cfg)
	logs := &syncBuffer{}
	a, err := NewAgent(cfg, hclog.New(&hclog.LoggerOptions{Name: "reload", Level: hclog.Info, Output: logs}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })
	if _, err := a.Client().UpdateNodeMeta(t.Context(), map[string]string{"rack": "from-api"}, nil); err != nil {
		t.Fatal(err)
	}
	next := func(mut func(*Config)) *Config {
		c := DevConfig()
		c.Name, c.LogLevel = "reload", "ERROR"
		ports := *a.config.Ports
		c.Ports = &ports
		configure(c)
		mut(c)
		return c
	}

	res, err := a.Reload(t.Context(), next(func(c *Config) {
		c.LogLevel = "debug"
		c.Client.Meta = map[string]string{"zone": "b", "rack": "r2", "new": "y"}
		c.Ports.Gossip++
		c.Server.NumSchedulers = 3
	}))
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if want := []string{"log_level", "client.meta"}; !reflect.DeepEqual(res.Applied, want) {
		t.Errorf("applied %v, want %v", res.Applied, want)
	}
	if want := []string{"ports.gossip", "server.num_schedulers"}; !reflect.DeepEqual(res.NeedRestart, want) {
		t.Errorf("need restart %v, want %v", res.NeedRestart, want)
	}
	if a.LogLevel() != "DEBUG" {
		t.Errorf("log level %s after reload, want DEBUG", a.LogLevel())
	}
	want := map[string]string{"zone": "b", "rack": "from-api", "new": "y"}
	if got := serverNodeMeta(t, a); !reflect.DeepEqual(got, want) {
		t.Errorf("servers' node meta after reload %v, want %v (the API's label over the file)", got, want)
	}
	out := logs.String()
	for _, line := range []string{"log_level changed", "client.meta changed", "setting=ports.gossip", "setting=server.num_schedulers", "needs a restart"} {
		if !strings.Contains(out, line) {
			t.Errorf("reload log lacks %q:\n%s", line, out)
		}
	}
	if self := a.Self()["config"].(map[string]any); self["log_level"] != "debug" {
		t.Errorf("/v1/agent/self config log_level %v after reload", self["log_level"])
	}

	// A configuration the agent could not start with changes nothing.
	if _, err := a.Reload(t.Context(), next(func(c *Config) {
		c.LogLevel = "ERROR"
		c.BindAddr = "not-an-ip"
	})); err == nil || !strings.Contains(err.Error(), "bind address") {
		t.Errorf("reload with a bad bind address: %v, want its error", err)
	}
	if _, err := a.Reload(t.Context(), next(func(c *Config) { c.LogLevel = "LOUD" })); err == nil {
		t.Errorf("reload with an unknown log level succeeded")
	}
	if a.LogLevel() != "DEBUG" || serverNodeMeta(t, a)["zone"] != "b" {
		t.Errorf("a refused reload changed the agent: level %s, meta %v", a.LogLevel(), serverNodeMeta(t, a))
	}
}
