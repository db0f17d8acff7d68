package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/appmesh/appmesh/structs"
	"github.com/hashicorp/memberlist"
)

// Gossip between servers is encrypted with a memberlist keyring when the
// servers start with a key (-encrypt): a member without one of the keys
// can neither read nor send gossip, so it never joins. The keyring is
// saved in the data dir on every change, and that saved keyring wins over
// -encrypt at the next start, so that a rotation survives restarts.

// keyringFileName is the saved keyring, in the server's data dir.
const keyringFileName = "gossip-keyring.json"

// keyringFanoutTimeout bounds the call to each other server.
const keyringFanoutTimeout = 10 * time.Second

// errNoEncryption answers keyring operations on a server without a key.
var errNoEncryption = errors.New("invalid: gossip encryption is not enabled on this server: start every server with -encrypt KEY (make one with `appmesh operator gossip keyring -generate`)")

// gossipKeyring is a server's keyring and where it is saved.
type gossipKeyring struct {
	mu   sync.Mutex // serializes changes and saves
	ring *memberlist.Keyring
	path string // "" in dev mode: not saved
}

// DecodeGossipKey decodes and checks a base64 gossip key.
func DecodeGossipKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("gossip key is not base64: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("gossip key is %d bytes long, want 32 (make one with `appmesh operator gossip keyring -generate`)", len(key))
	}
	return key, nil
}

// setupGossipKeyring loads the saved keyring, or starts one from
// Config.GossipKey, and gives it to memberlist. Without either, gossip
// stays unencrypted.
func (s *Server) setupGossipKeyring(mc *memberlist.Config) error {
	path := ""
	if s.config.DataDir != "" {
		path = filepath.Join(s.config.DataDir, keyringFileName)
	}
	keys, err := readKeyringFile(path)
	if err != nil {
		return err
	}
	if keys == nil && s.config.GossipKey == "" {
		return nil
	}
	if keys != nil && s.config.GossipKey != "" {
		s.logger.Info("using the gossip keyring saved in the data dir; -encrypt only starts a new one", "path", path)
	}
	if keys == nil {
		key, err := DecodeGossipKey(s.config.GossipKey)
		if err != nil {
			return fmt.Errorf("-encrypt: %w", err)
		}
		keys = [][]byte{key}
	}
	ring, err := memberlist.NewKeyring(keys, keys[0])
	if err != nil {
		return fmt.Errorf("gossip keyring: %w", err)
	}
	s.gossipKeys = &gossipKeyring{ring: ring, path: path}
	if err := s.gossipKeys.save(); err != nil {
		return err
	}
	mc.Keyring = ring
	return nil
}

// readKeyringFile returns the saved keys, primary first; nil when there is
// no file.
func readKeyringFile(path string) ([][]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read gossip keyring: %w", err)
	}
	var encoded []string
	if err := json.Unmarshal(data, &encoded); err != nil || len(encoded) == 0 {
		return nil, fmt.Errorf("gossip keyring %s is damaged (want a JSON list of base64 keys): %v", path, err)
	}
	keys := make([][]byte, 0, len(encoded))
	for _, e := range encoded {
		k, err := DecodeGossipKey(e)
		if err != nil {
			return nil, fmt.Errorf("gossip keyring %s: %w", path, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// list returns the keys, base64, the primary first.
func (g *gossipKeyring) list() []string {
	primary := g.ring.GetPrimaryKey()
	out := []string{base64.StdEncoding.EncodeToString(primary)}
	for _, k := range g.ring.GetKeys() {
		if string(k) != string(primary) {
			out = append(out, base64.StdEncoding.EncodeToString(k))
		}
	}
	return out
}

// save writes the keyring next to the Raft data, replacing the old file
// in one rename so that a crash leaves one or the other whole.
func (g *gossipKeyring) save() error {
	if g.path == "" {
		return nil
	}
	data, err := json.Marshal(g.list())
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(g.path), 0o700); err != nil {
		return fmt.Errorf("save gossip keyring: %w", err)
	}
	tmp := g.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save gossip keyring: %w", err)
	}
	if err := os.Rename(tmp, g.path); err != nil {
		return fmt.Errorf("save gossip keyring: %w", err)
	}
	return nil
}

// apply runs one operation on this server's keyring.
func (g *gossipKeyring) apply(op string, key []byte) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var err error
	switch op {
	case structs.KeyringList:
		return nil
	case structs.KeyringInstall:
		err = g.ring.AddKey(key)
	case structs.KeyringUse:
		err = g.ring.UseKey(key)
	case structs.KeyringRemove:
		if string(g.ring.GetPrimaryKey()) == string(key) {
			return errors.New("the key is the primary key: make another key primary (-use) before removing it")
		}
		err = g.ring.RemoveKey(key)
	}
	if err != nil {
		return fmt.Errorf("%s gossip key: %w", op, err)
	}
	return g.save()
}

// GossipKeyring runs a keyring operation on every alive server: this one
// first, then the others over RPC. Each server's answer is in the reply;
// an operation that failed somewhere is an error only there.
func (o *Operator) GossipKeyring(args *structs.KeyringRequest, reply *structs.KeyringResponse) error {
	s := o.srv
	var key []byte
	switch args.Op {
	case structs.KeyringList:
	case structs.KeyringInstall, structs.KeyringUse, structs.KeyringRemove:
		k, err := DecodeGossipKey(args.Key)
		if err != nil {
			return fmt.Errorf("invalid: %w", err)
		}
		key = k
	default:
		return fmt.Errorf("invalid: keyring operation %q: want list, install, use or remove", args.Op)
	}
	if s.members == nil || s.gossipKeys == nil {
		return errNoEncryption
	}
	self := &structs.KeyringServerResult{Server: s.config.NodeName}
	if err := s.gossipKeys.apply(args.Op, key); err != nil {
		self.Error = err.Error()
	}
	self.Keys = s.gossipKeys.list()
	reply.Servers = append(reply.Servers, self)
	if args.LocalOnly {
		return nil
	}
	for _, m := range s.members.snapshot() {
		if m.status != "alive" || m.meta.RPCAddr == s.config.RPCAddr {
			continue
		}
		fwd := &structs.KeyringRequest{Op: args.Op, Key: args.Key, LocalOnly: true, WriteRequest: args.WriteRequest}
		var r structs.KeyringResponse
		ctx, cancel := context.WithTimeout(s.shutdownCtx, keyringFanoutTimeout)
		err := s.connPool.RPC(ctx, m.meta.RPCAddr, structs.KeyringRPC, fwd, &r)
		cancel()
		switch {
		case err != nil:
			reply.Servers = append(reply.Servers, &structs.KeyringServerResult{Server: m.node.Name, Error: err.Error()})
		case len(r.Servers) == 1:
			r.Servers[0].Server = m.node.Name
			reply.Servers = append(reply.Servers, r.Servers[0])
		default:
			reply.Servers = append(reply.Servers, &structs.KeyringServerResult{Server: m.node.Name, Error: "unexpected answer"})
		}
	}
	return nil
}
