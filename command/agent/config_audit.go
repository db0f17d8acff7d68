package agent

import (
	"fmt"
	"os"
	"path/filepath"
)

// AuditConfig is the agent's `audit` block (website/observability.md):
//
//	audit {
//	  enabled     = true
//	  path        = "/var/log/appmesh/audit.log"
//	  max_size_mb = 100   # rotate past this size
//	  max_backups = 10    # rotated files kept
//	}
//
// Every write request to this agent's HTTP API (PUT, POST, DELETE, PATCH)
// is recorded as one JSON line: who (token accessor and name), from where,
// which route and object, allowed or denied, and the status. Never a
// secret or a request body.
type AuditConfig struct {
	Enabled    bool   `hcl:"enabled,optional"`
	Path       string `hcl:"path,optional"`
	MaxSizeMB  int    `hcl:"max_size_mb,optional"`
	MaxBackups int    `hcl:"max_backups,optional"`
}

// Defaults of the audit block.
const (
	DefaultAuditMaxSizeMB  = 100
	DefaultAuditMaxBackups = 10
)

// On reports whether auditing is enabled.
func (c *AuditConfig) On() bool { return c != nil && c.Enabled }

// validate checks the block and fills in its defaults.
func (c *AuditConfig) validate() error {
	if !c.On() {
		return nil
	}
	if c.Path == "" {
		return fmt.Errorf("audit: path is required when enabled (the file the audit log is written to)")
	}
	if c.MaxSizeMB < 0 || c.MaxBackups < 0 {
		return fmt.Errorf("audit: max_size_mb (%d) and max_backups (%d) must not be negative", c.MaxSizeMB, c.MaxBackups)
	}
	if c.MaxSizeMB == 0 {
		c.MaxSizeMB = DefaultAuditMaxSizeMB
	}
	if c.MaxBackups == 0 {
		c.MaxBackups = DefaultAuditMaxBackups
	}
	dir := filepath.Dir(c.Path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("audit: directory %q of path %q does not exist", dir, c.Path)
	}
	return nil
}
