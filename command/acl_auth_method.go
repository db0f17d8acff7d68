package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/appmesh/appmesh/structs"
)

// AuthMethodCreateCommand creates or replaces an auth method.
type AuthMethodCreateCommand struct{ Meta }

func (c *AuthMethodCreateCommand) Synopsis() string { return "Create or replace an auth method" }

func (c *AuthMethodCreateCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl auth-method create [options]

  Creates (or replaces) an auth method that trusts an outside identity
  provider's JWTs: "appmesh login -method NAME -jwt TOKEN" exchanges such a
  JWT for an appmesh ACL token that expires, holding what the method's
  binding rules grant. Needs a management token.

Create Options:

  -name=<name>           The method's name; required.
  -type=jwt              The only type.
  -config=@<file>        A JSON file (or - for standard input):
                           jwt_validation_pub_keys  PEM public keys, or
                           jwt_validation_pub_key_files  PEM files (relative
                                                    to the config file)
                           jwks_file                a JWKS file (relative to
                                                    the config file), or
                           jwks                     a JWKS inline
                           bound_issuer             required iss
                           bound_audiences          one must be in aud
                           signing_algs             default RS256, ES256, EdDSA
                           claim_mappings           claim -> value.NAME
                           list_claim_mappings      claim -> list.NAME
                           clock_skew_leeway        e.g. "30s"
  -max-token-ttl=<dur>   Life of the tokens it makes (default 1h, at most 24h).
  -description=<text>    A description.

` + generalOptions + jsonOption)
}

// maxAuthConfigSize bounds a config or JWKS file.
const maxAuthConfigSize = 1 << 20

func (c *AuthMethodCreateCommand) Run(args []string) int {
	fs := c.flagSet("acl auth-method create", true)
	m := structs.ACLAuthMethod{}
	fs.StringVar(&m.Name, "name", "", "")
	fs.StringVar(&m.Type, "type", structs.AuthMethodTypeJWT, "")
	fs.StringVar(&m.Description, "description", "", "")
	cfgArg := fs.String("config", "", "")
	ttl := fs.Duration("max-token-ttl", 0, "")
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	if m.Name == "" || *cfgArg == "" {
		return c.usageError(c.Help(), "-name and -config are required.")
	}
	cfg, err := c.readAuthConfig(strings.TrimPrefix(*cfgArg, "@"))
	if err != nil {
		return c.errorf("Error reading the config of auth method %q: %v", m.Name, err)
	}
	m.Config, m.MaxTokenTTL = cfg, structs.Duration(*ttl)
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	out, err := client.ACLAuthMethods().Upsert(&m)
	if err != nil {
		return c.errorf("Error writing auth method %q: %v", m.Name, err)
	}
	if c.json {
		return c.outputJSON(out)
	}
	c.Ui.Output(authMethodKV(out))
	return exitOK
}

// authConfigFile is the config file: the server's config plus jwks_file,
// and jwks given as a JSON object or a string.
type authConfigFile struct {
	structs.JWTAuthConfig
	JWKS        json.RawMessage `json:"jwks,omitempty"`
	JWKSFile    string          `json:"jwks_file,omitempty"`
	PubKeyFiles []string        `json:"jwt_validation_pub_key_files,omitempty"`
}

// relTo resolves a path of the config file relative to its directory.
func relTo(cfgPath, p string) string {
	if filepath.IsAbs(p) || cfgPath == "-" {
		return p
	}
	return filepath.Join(filepath.Dir(cfgPath), p)
}

// readSmallFile reads a key file, refusing one too large to be a key.
func readSmallFile(p string) (string, error) {
	raw, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	if len(raw) > maxAuthConfigSize {
		return "", fmt.Errorf("%s is larger than %d bytes", p, maxAuthConfigSize)
	}
	return string(raw), nil
}

func (c *AuthMethodCreateCommand) readAuthConfig(path string) (*structs.JWTAuthConfig, error) {
	data, err := c.readInput(path, maxAuthConfigSize)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f authConfigFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", orStdin(path), err)
	}
	cfg := f.JWTAuthConfig
	for _, p := range f.PubKeyFiles {
		key, err := readSmallFile(relTo(path, p))
		if err != nil {
			return nil, fmt.Errorf("jwt_validation_pub_key_files: %w", err)
		}
		cfg.JWTValidationPubKeys = append(cfg.JWTValidationPubKeys, key)
	}
	switch {
	case f.JWKSFile != "" && len(f.JWKS) > 0:
		return nil, fmt.Errorf("give jwks or jwks_file, not both")
	case f.JWKSFile != "":
		raw, err := readSmallFile(relTo(path, f.JWKSFile))
		if err != nil {
			return nil, fmt.Errorf("jwks_file: %w", err)
		}
		cfg.JWKS = raw
	case len(f.JWKS) > 0:
		var s string
		if json.Unmarshal(f.JWKS, &s) == nil {
			cfg.JWKS = s
		} else {
			cfg.JWKS = string(f.JWKS)
		}
	}
	return &cfg, nil
}

func authMethodKV(m *structs.ACLAuthMethod) string {
	ttl := "1h0m0s (default)"
	if m.MaxTokenTTL > 0 {
		ttl = time.Duration(m.MaxTokenTTL).String()
	}
	keys, jwks := 0, "no"
	issuer, auds := "-", "-"
	if c := m.Config; c != nil {
		keys, issuer, auds = len(c.JWTValidationPubKeys), orDash(c.BoundIssuer), listOrDash(c.BoundAudiences)
		if c.JWKS != "" {
			jwks = "yes"
		}
	}
	return formatKV("Name", m.Name, "Type", m.Type, "Description", orDash(m.Description),
		"Max Token TTL", ttl, "PEM Keys", fmt.Sprint(keys), "JWKS", jwks,
		"Bound Issuer", issuer, "Bound Audiences", auds,
		"Create Index", fmt.Sprint(m.CreateIndex), "Modify Index", fmt.Sprint(m.ModifyIndex))
}

// AuthMethodListCommand lists auth methods.
type AuthMethodListCommand struct{ Meta }

func (c *AuthMethodListCommand) Synopsis() string { return "List auth methods" }

func (c *AuthMethodListCommand) Help() string {
	return strings.TrimSpace("Usage: appmesh acl auth-method list [options]\n\n  Lists auth methods (management token).\n\n" + generalOptions + jsonOption)
}

func (c *AuthMethodListCommand) Run(args []string) int {
	fs := c.flagSet("acl auth-method list", true)
	if code := c.parseFlags(fs, args, c.Help(), 0, 0); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	methods, _, err := client.ACLAuthMethods().List(nil)
	if err != nil {
		return c.errorf("Error listing auth methods: %v", err)
	}
	if c.json {
		return c.outputJSON(methods)
	}
	rows := [][]string{{"Name", "Type", "Bound Issuer", "Description"}}
	for _, m := range methods {
		iss := "-"
		if m.Config != nil {
			iss = orDash(m.Config.BoundIssuer)
		}
		rows = append(rows, []string{m.Name, m.Type, iss, orDash(m.Description)})
	}
	c.Ui.Output(formatTable(rows))
	return exitOK
}

// AuthMethodInfoCommand shows an auth method.
type AuthMethodInfoCommand struct{ Meta }

func (c *AuthMethodInfoCommand) Synopsis() string { return "Show an auth method" }

func (c *AuthMethodInfoCommand) Help() string {
	return strings.TrimSpace("Usage: appmesh acl auth-method info [options] <name>\n\n  Shows an auth method (management token).\n\n" + generalOptions + jsonOption)
}

func (c *AuthMethodInfoCommand) Run(args []string) int {
	fs := c.flagSet("acl auth-method info", true)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	m, _, err := client.ACLAuthMethods().Info(fs.Arg(0), nil)
	if err != nil {
		return c.errorf("Error reading auth method %q: %v", fs.Arg(0), err)
	}
	if c.json {
		return c.outputJSON(m)
	}
	c.Ui.Output(authMethodKV(m))
	return exitOK
}

// AuthMethodDeleteCommand deletes an auth method.
type AuthMethodDeleteCommand struct{ Meta }

func (c *AuthMethodDeleteCommand) Synopsis() string { return "Delete an auth method" }

func (c *AuthMethodDeleteCommand) Help() string {
	return strings.TrimSpace(`
Usage: appmesh acl auth-method delete [options] <name>

  Deletes an auth method and its binding rules. Tokens it made stay until
  they expire or are deleted. Management token.

` + generalOptions)
}

func (c *AuthMethodDeleteCommand) Run(args []string) int {
	fs := c.flagSet("acl auth-method delete", false)
	if code := c.parseFlags(fs, args, c.Help(), 1, 1); code >= 0 {
		return code
	}
	client, err := c.client()
	if err != nil {
		return c.errorf("Error: %v", err)
	}
	if err := client.ACLAuthMethods().Delete(fs.Arg(0)); err != nil {
		return c.errorf("Error deleting auth method %q: %v", fs.Arg(0), err)
	}
	c.Ui.Output(fmt.Sprintf("Deleted auth method %q", fs.Arg(0)))
	return exitOK
}
