package agent

import (
	"fmt"
	"sort"
	"time"

	"github.com/appmesh/appmesh/server"
)

// loginDurations are the acl block's login settings, by their HCL names.
func (c *ACLConfig) loginDurations() map[string]string {
	if c == nil {
		return nil
	}
	return map[string]string{
		"login_token_ttl":   c.LoginTokenTTL,
		"login_session_ttl": c.LoginSessionTTL,
		"login_lockout":     c.LoginLockout,
	}
}

// loginProblems refuses login settings that are not positive durations,
// and a login token that would outlive its session.
func (c *ACLConfig) loginProblems() []string {
	var out []string
	settings := c.loginDurations()
	names := make([]string, 0, len(settings))
	for name := range settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := settings[name]
		if d, err := time.ParseDuration(v); v != "" && (err != nil || d <= 0) {
			out = append(out, fmt.Sprintf("acl %s %q is not a positive duration (e.g. \"15m\")", name, v))
		}
	}
	if len(out) == 0 {
		if lc := c.loginConfig(); lc.TokenTTL > 0 && lc.SessionTTL > 0 && lc.TokenTTL > lc.SessionTTL {
			out = append(out, fmt.Sprintf("acl login_token_ttl %s is longer than login_session_ttl %s", lc.TokenTTL, lc.SessionTTL))
		}
	}
	return out
}

// loginConfig is what the servers get; unset settings stay zero and take
// the servers' defaults (15m tokens, 24h sessions, a 1m first lockout).
// Validate has refused bad values, so parse errors cannot happen here.
func (c *ACLConfig) loginConfig() server.LoginConfig {
	if c == nil {
		return server.LoginConfig{}
	}
	d := func(s string) time.Duration {
		v, _ := time.ParseDuration(s)
		return v
	}
	return server.LoginConfig{TokenTTL: d(c.LoginTokenTTL), SessionTTL: d(c.LoginSessionTTL), LockoutBase: d(c.LoginLockout)}
}
