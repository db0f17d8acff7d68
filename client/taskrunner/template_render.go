package taskrunner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"

	"github.com/appmesh/appmesh/client/consul"
	"github.com/appmesh/appmesh/structs"
)

// maxTemplateSource bounds a template read from a file and a rendered
// result, so that a runaway template cannot fill the client's disk.
const maxTemplateSource = 4 << 20

// TemplateConsul is what templates read from Consul
// (client/consul.ServiceClient): healthy service instances and KV keys.
type TemplateConsul interface {
	Healthy(ctx context.Context, service, tag string, waitIndex uint64) ([]consul.Instance, uint64, error)
	Key(ctx context.Context, key string) (value string, found bool, err error)
}

// templateInput is what a template's functions read.
type templateInput struct {
	env    map[string]string // the task's environment
	node   *structs.Node     // nil: node variables are missing
	consul TemplateConsul    // nil: the Consul integration is off
	// catalog is the built-in catalog of the task's namespace (nil: none).
	catalog ServiceDiscovery
}

// errConsulLookup marks a render that failed because Consul could not be
// reached (not because of the template), which is worth retrying.
var errConsulLookup = errors.New("consul lookup failed")

// rendered is one render of a template.
type rendered struct {
	text    string
	env     map[string]string // parsed KEY=VALUE lines when the template is env = true
	dynamic bool              // it read Consul, so it is watched for changes
}

// renderTemplate renders t against in, reading a source file from taskDir.
// Nothing is written.
func renderTemplate(ctx context.Context, taskDir string, t *structs.Template, in *templateInput) (*rendered, error) {
	text := t.Data
	if t.Source != "" {
		src, err := readTaskFile(taskDir, t.Source)
		if err != nil {
			return nil, fmt.Errorf("read source %s: %w", t.Source, err)
		}
		text = src
	}
	out := &rendered{}
	funcs := templateFuncs(ctx, in, t.ErrMissingKey, &out.dynamic)
	tmpl := template.New(t.Destination).Funcs(funcs)
	if t.LeftDelim != "" {
		tmpl = tmpl.Delims(t.LeftDelim, t.RightDelim)
	}
	if t.ErrMissingKey {
		tmpl = tmpl.Option("missingkey=error")
	}
	tmpl, err := tmpl.Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&limitedBuffer{buf: &buf, left: maxTemplateSource}, nil); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	out.text = buf.String()
	if t.Env {
		env, err := parseEnvFile(out.text)
		if err != nil {
			return nil, fmt.Errorf("env file: %w", err)
		}
		out.env = env
	}
	return out, nil
}

// limitedBuffer fails a render whose output grows beyond its limit.
type limitedBuffer struct {
	buf  *bytes.Buffer
	left int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if len(p) > l.left {
		return 0, fmt.Errorf("output is larger than %d bytes", maxTemplateSource)
	}
	l.left -= len(p)
	return l.buf.Write(p)
}

// readTaskFile reads a file inside taskDir; the os.Root refuses a path or
// a symlink that leads out of it.
func readTaskFile(taskDir, name string) (string, error) {
	root, err := os.OpenRoot(taskDir)
	if err != nil {
		return "", fmt.Errorf("open task directory: %w", err)
	}
	defer root.Close()
	f, err := root.Open(filepath.Clean(name))
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTemplateSource+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTemplateSource {
		return "", fmt.Errorf("larger than %d bytes", maxTemplateSource)
	}
	return string(b), nil
}

// writeTemplateFile replaces dest (relative to taskDir) with text, through
// a temporary file renamed into place, so the task never reads half a
// file. Every step goes through an os.Root of the task directory, so
// neither "../" nor a symlink planted by the task can place the file
// elsewhere; the final rename replaces a symlink rather than following it.
func writeTemplateFile(taskDir string, t *structs.Template, text string) error {
	if err := structs.TaskRelativePath(t.Destination); err != nil {
		return fmt.Errorf("destination %w", err)
	}
	mode, err := t.FileMode()
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(taskDir)
	if err != nil {
		return fmt.Errorf("open task directory: %w", err)
	}
	defer root.Close()
	dest := filepath.Clean(t.Destination)
	dir := filepath.Dir(dest)
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory of %s: %w", t.Destination, err)
	}
	tmpName := filepath.Join(dir, ".template-"+randHex()+".tmp")
	f, err := root.OpenFile(tmpName, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", t.Destination, err)
	}
	defer func() { _ = root.Remove(tmpName) }() // gone once renamed
	err = writeAndOwn(f, text, os.FileMode(mode), t)
	if err == nil {
		err = keepOwner(root, dest, f, t)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", t.Destination, err)
	}
	if err := root.Rename(tmpName, dest); err != nil {
		return fmt.Errorf("place %s: %w", t.Destination, err)
	}
	return nil
}

// writeAndOwn writes the text and sets the mode (not subject to the umask)
// and, when the template asks, the owner.
func writeAndOwn(f *os.File, text string, mode os.FileMode, t *structs.Template) error {
	if _, err := io.WriteString(f, text); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if t.UID == nil && t.GID == nil {
		return nil
	}
	uid, gid := -1, -1
	if t.UID != nil {
		uid = *t.UID
	}
	if t.GID != nil {
		gid = *t.GID
	}
	if err := f.Chown(uid, gid); err != nil {
		return fmt.Errorf("set owner (uid/gid need a client running as root): %w", err)
	}
	return nil
}

// parseEnvFile reads KEY=VALUE lines: blank lines and lines starting with
// '#' are skipped, an "export " prefix is allowed, and a value wholly in
// single or double quotes loses them (double quotes also understand \n,
// \" and \\). Anything else is an error naming the line.
func parseEnvFile(text string) (map[string]string, error) {
	env := map[string]string{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t\"'") {
			return nil, fmt.Errorf("line %d: %q is not KEY=VALUE", i+1, truncate(line, 40))
		}
		env[key] = unquoteEnv(strings.TrimSpace(val))
	}
	return env, nil
}

func unquoteEnv(v string) string {
	if len(v) < 2 {
		return v
	}
	switch {
	case v[0] == '\'' && v[len(v)-1] == '\'':
		return v[1 : len(v)-1]
	case v[0] == '"' && v[len(v)-1] == '"':
		return strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`).Replace(v[1 : len(v)-1])
	}
	return v
}

// keepOwner gives a re-rendered file the owner of the file it replaces
// when the template names none: the first render was handed to the task's
// user with the task directory (see the executor's ownTaskDir), and a
// re-render while the task runs must stay readable by that user.
func keepOwner(root *os.Root, dest string, f *os.File, t *structs.Template) error {
	if t.UID != nil || t.GID != nil {
		return nil
	}
	fi, err := root.Lstat(dest)
	if err != nil || !fi.Mode().IsRegular() {
		return nil // first render, or a symlink the task left: keep ours
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return nil
	}
	if err := f.Chown(int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("keep the owner of the previous file: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
