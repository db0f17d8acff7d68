package command

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/appmesh/appmesh/server"
	"github.com/appmesh/appmesh/structs"
)

// OperatorGossipCommand groups the gossip subcommands.
type OperatorGossipCommand struct{ Meta }

func (c *OperatorGossipCommand) ns() *namespace {
	return &namespace{Meta: c.Meta, name: "operator gossip", synopsis: "Manage the servers' gossip encryption"}
}
func (c *OperatorGossipCommand) Synopsis() string      { return c.ns().Synopsis() }
func (c *OperatorGossipCommand) Help() string          { return c.ns().Help() }
func (c *OperatorGossipCommand) Run(args []string) int { return c.ns().Run(args) }

// OperatorGossipKeyringCommand lists, installs, uses and removes gossip
// keys on every server, or makes a new key.
type OperatorGossipKeyringCommand struct{ Meta }

func (c *OperatorGossipKeyringCommand) Synopsis() string {
	return "Make, list, install, use and remove gossip encryption keys"
}

func (c *OperatorGossipKeyringCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh operator gossip keyring [options] -generate|-list|-install KEY|-use KEY|-remove KEY

  Manages the keys that encrypt gossip between servers (started with
  -encrypt). Each change goes to every alive server, which saves its
  keyring in its data dir. Rotate without a restart:

      appmesh operator gossip keyring -install NEW
      appmesh operator gossip keyring -use NEW
      appmesh operator gossip keyring -remove OLD

  A server that is down during a change misses it: install the keys on it
  when it is back, or rotate again.

Keyring Options:

  -generate
    Print a new random key (32 bytes, base64). Needs no agent.

  -list
    List every server's keys; the primary (used to encrypt) comes first.

  -install=<key>
    Add a key every server accepts (but does not yet use).

  -use=<key>
    Make an installed key the one every server encrypts with.

  -remove=<key>
    Remove a key that is no longer primary.

` + generalOptions)
}

func (c *OperatorGossipKeyringCommand) Run(args []string) int {
	fs := c.flagSet("operator gossip keyring", true)
	generate := fs.Bool("generate", false, "")
	list := fs.Bool("list", false, "")
	install := fs.String("install", "", "")
	use := fs.String("use", "", "")
	remove := fs.String("remove", "", "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	op, key, n := "", "", 0
	for _, o := range []struct {
		on        bool
		op, value string
	}{{*generate, "generate", ""}, {*list, structs.KeyringList, ""}, {*install != "", structs.KeyringInstall, *install},
		{*use != "", structs.KeyringUse, *use}, {*remove != "", structs.KeyringRemove, *remove}} {
		if o.on {
			op, key, n = o.op, o.value, n+1
		}
	}
	if n != 1 {
		return c.usageError(c.Help(), "Give exactly one of -generate, -list, -install, -use or -remove.")
	}
	if op == "generate" {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return c.errorf("Error: make a key: %v", err)
		}
		c.Ui.Output(base64.StdEncoding.EncodeToString(b[:]))
		return exitOK
	}
	if op != structs.KeyringList {
		if _, err := server.DecodeGossipKey(key); err != nil {
			return c.usageError(c.Help(), "-%s: %v", op, err)
		}
	}
	return c.runOnServers(op, key)
}

func (c *OperatorGossipKeyringCommand) runOnServers(op, key string) int {
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	var resp *structs.KeyringResponse
	if op == structs.KeyringList {
		resp, err = client.Operator().GossipKeyring()
	} else {
		resp, err = client.Operator().GossipKeyringChange(op, key)
	}
	if err != nil {
		return c.errorf("Error: %s gossip key: %v", op, err)
	}
	if c.json {
		if code := c.outputJSON(resp); code != exitOK {
			return code
		}
	}
	failed := 0
	for _, s := range resp.Servers {
		if s.Error != "" {
			failed++
			c.Ui.Error(fmt.Sprintf("%s: %s", s.Server, s.Error))
			continue
		}
		if c.json {
			continue
		}
		if op == structs.KeyringList {
			for i, k := range s.Keys {
				mark := ""
				if i == 0 {
					mark = "  (primary)"
				}
				c.Ui.Output(fmt.Sprintf("%s: %s%s", s.Server, k, mark))
			}
		} else {
			c.Ui.Output(fmt.Sprintf("%s: done (%d keys)", s.Server, len(s.Keys)))
		}
	}
	if failed > 0 {
		return c.errorf("Error: the %s failed on %d of %d servers", op, failed, len(resp.Servers))
	}
	return exitOK
}
