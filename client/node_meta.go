package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/appmesh/appmesh/structs"
)

// nodeMetaFile keeps the node meta changed at run time (App Mesh's labels,
// `appmesh label`) in the client's data dir, so the change outlives a
// restart. It is applied over the configured meta at start.
const nodeMetaFile = "client/node-meta.json"

// Limits of a node meta key and value changed at run time.
const (
	maxMetaValue = 1024
)

var metaKeyRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,128}$`)

// metaOverrides are the run-time changes: keys set and keys deleted.
type metaOverrides struct {
	Set     map[string]string `json:"set,omitempty"`
	Deleted []string          `json:"deleted,omitempty"`
}

func (o *metaOverrides) apply(meta map[string]string) {
	for _, k := range o.Deleted {
		delete(meta, k)
	}
	maps.Copy(meta, o.Set)
}

func loadMetaOverrides(dataDir string) (*metaOverrides, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, nodeMetaFile))
	if errors.Is(err, os.ErrNotExist) {
		return &metaOverrides{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read node meta changes: %w", err)
	}
	var o metaOverrides
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("node meta changes %s: %w (remove the file to drop them)", nodeMetaFile, err)
	}
	return &o, nil
}

func saveMetaOverrides(dataDir string, o *metaOverrides) error {
	path := filepath.Join(dataDir, nodeMetaFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create client state dir: %w", err)
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write node meta changes: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write node meta changes: %w", err)
	}
	return nil
}

// NodeMeta returns a copy of the node's meta.
func (c *Client) NodeMeta() map[string]string {
	c.nodeMu.Lock()
	defer c.nodeMu.Unlock()
	return maps.Clone(c.node.Meta)
}

// UpdateNodeMeta sets and deletes keys of the node's meta at run time and
// registers the node again, so the servers (and the constraints the
// scheduler checks against ${meta.*}) see the change when it returns. The
// change is kept in the data dir; if the servers cannot be told, it is
// undone and the error returned.
func (c *Client) UpdateNodeMeta(ctx context.Context, set map[string]string, del []string) (map[string]string, error) {
	for k, v := range set {
		if !metaKeyRE.MatchString(k) {
			return nil, fmt.Errorf("invalid: label %q: use letters, digits, '.', '_' and '-', up to 128", k)
		}
		if len(v) > maxMetaValue {
			return nil, fmt.Errorf("invalid: label %q: value longer than %d bytes", k, maxMetaValue)
		}
	}
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	prev, err := loadMetaOverrides(c.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	next := &metaOverrides{Set: maps.Clone(prev.Set)}
	if next.Set == nil {
		next.Set = map[string]string{}
	}
	deleted := map[string]bool{}
	for _, k := range prev.Deleted {
		deleted[k] = true
	}
	for _, k := range del {
		delete(next.Set, k)
		deleted[k] = true
	}
	for k, v := range set {
		next.Set[k] = v
		delete(deleted, k)
	}
	for k := range deleted {
		next.Deleted = append(next.Deleted, k)
	}
	sort.Strings(next.Deleted)
	if err := saveMetaOverrides(c.cfg.DataDir, next); err != nil {
		return nil, err
	}
	c.nodeMu.Lock()
	old := c.node.Meta
	meta := maps.Clone(old)
	if meta == nil {
		meta = map[string]string{}
	}
	next.apply(meta)
	c.node.Meta = meta
	c.nodeMu.Unlock()
	if err := c.registerNow(ctx); err != nil {
		c.nodeMu.Lock()
		c.node.Meta = old
		c.nodeMu.Unlock()
		if serr := saveMetaOverrides(c.cfg.DataDir, prev); serr != nil {
			c.logger.Error("cannot undo a node meta change the servers did not get", "error", serr)
		}
		return nil, fmt.Errorf("tell the servers about the node's new meta: %w", err)
	}
	c.logger.Info("node meta changed", "set", len(set), "deleted", len(del))
	return maps.Clone(meta), nil
}

// registerNow registers the node with its current fields, bounded by ctx
// as well as the client's life.
func (c *Client) registerNow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()
	req := &structs.NodeRegisterRequest{Node: c.Node(), SecretID: c.secretID}
	var resp structs.NodeUpdateResponse
	return c.rpc(ctx, structs.NodeRegisterRPC, req, &resp)
}

// SetConfiguredMeta replaces the meta the agent's configuration gives the
// node (a configuration reload); the changes made at run time
// (UpdateNodeMeta) stay on top of it, as they are at start. The servers
// are told when the result differs; if they cannot be, nothing changes
// and the error is returned. changed reports whether the node's meta did.
func (c *Client) SetConfiguredMeta(ctx context.Context, configured map[string]string) (meta map[string]string, changed bool, err error) {
	c.metaMu.Lock()
	defer c.metaMu.Unlock()
	overrides, err := loadMetaOverrides(c.cfg.DataDir)
	if err != nil {
		return nil, false, err
	}
	meta = maps.Clone(configured)
	if meta == nil {
		meta = map[string]string{}
	}
	overrides.apply(meta)
	c.nodeMu.Lock()
	old := c.node.Meta
	if maps.Equal(old, meta) {
		c.nodeMu.Unlock()
		c.cfg.Meta = maps.Clone(configured)
		return maps.Clone(meta), false, nil
	}
	c.node.Meta = meta
	c.nodeMu.Unlock()
	if err := c.registerNow(ctx); err != nil {
		c.nodeMu.Lock()
		c.node.Meta = old
		c.nodeMu.Unlock()
		return nil, false, fmt.Errorf("tell the servers about the node's new meta: %w", err)
	}
	c.cfg.Meta = maps.Clone(configured)
	return maps.Clone(meta), true, nil
}
