package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/appmesh/appmesh/api"
	"github.com/appmesh/appmesh/structs"
	"github.com/mitchellh/cli"
)

// Exit codes of every command.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Meta holds what every client command shares: the UI and the flags that
// say how to reach the agent.
type Meta struct {
	Ui cli.Ui

	address   string
	token     string
	namespace string
	json      bool
	// tls holds -ca-cert, -client-cert, -client-key, -tls-server-name and
	// -tls-skip-verify (meta_tls.go).
	tls tlsFlags
}

// flagSet returns a flag set with -address, -token and -namespace, and
// -json for read commands. Parse errors are reported by parseFlags, not by package flag.
func (m *Meta) flagSet(name string, withJSON bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&m.address, "address", "", "")
	fs.StringVar(&m.token, "token", "", "")
	fs.StringVar(&m.namespace, "namespace", "", "")
	m.tls.register(fs)
	if withJSON {
		fs.BoolVar(&m.json, "json", false, "")
	}
	return fs
}

// parseFlags parses args and checks the number of positional arguments.
// It returns -1 to go on, or the exit code to return at once.
func (m *Meta) parseFlags(fs *flag.FlagSet, args []string, help string, minArgs, maxArgs int) int {
	if err := parseInterleaved(fs, args, maxArgs); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			m.Ui.Output(help)
			return exitOK
		}
		return m.usageError(help, "%v", err)
	}
	n := fs.NArg()
	switch {
	case n < minArgs && minArgs == maxArgs:
		return m.usageError(help, "This command takes %d argument(s), got %d.", minArgs, n)
	case n < minArgs:
		return m.usageError(help, "This command takes at least %d argument(s), got %d.", minArgs, n)
	case n > maxArgs:
		return m.usageError(help, "Too many arguments (%d): %s", n, strings.Join(fs.Args(), " "))
	}
	return -1
}

// usageError prints the problem and the command's help; exit code 2.
func (m *Meta) usageError(help, format string, args ...any) int {
	m.Ui.Error(fmt.Sprintf(format, args...))
	m.Ui.Error("")
	m.Ui.Error(help)
	return exitUsage
}

// errorf prints an error; exit code 1.
func (m *Meta) errorf(format string, args ...any) int {
	m.Ui.Error(fmt.Sprintf(format, args...))
	return exitError
}

// client builds an API client from -address/-token/-namespace, falling
// back to APPMESH_ADDR, APPMESH_TOKEN and APPMESH_NAMESPACE.
func (m *Meta) client() (*api.Client, error) {
	cfg := api.DefaultConfig()
	if m.address != "" {
		cfg.Address = m.address
	}
	if m.token != "" {
		cfg.Token = m.token
	}
	if m.namespace != "" {
		cfg.Namespace = m.namespace
	}
	cfg.TLSConfig = m.tls.apply(cfg.TLSConfig)
	return api.NewClient(cfg)
}

// allNamespaces reports whether client runs across every namespace
// (-namespace '*' or APPMESH_NAMESPACE=*), where lists show a namespace column.
func allNamespaces(client *api.Client) bool {
	return client.Namespace() == structs.AllNamespacesSentinel
}

// outputJSON prints v as JSON (-json); exit 0, or 1 if it cannot be encoded.
func (m *Meta) outputJSON(v any) int {
	if err := printJSON(m.Ui, v); err != nil {
		return m.errorf("%v", err)
	}
	return exitOK
}

// out returns the raw writer behind the UI, for output that is a byte
// stream rather than lines (task logs).
func (m *Meta) out() io.Writer {
	switch u := m.Ui.(type) {
	case *cli.BasicUi:
		return u.Writer
	case *cli.MockUi:
		return u.OutputWriter
	}
	return &uiLineWriter{ui: m.Ui}
}

// errOut is the raw writer behind the UI's error stream.
func (m *Meta) errOut() io.Writer {
	switch u := m.Ui.(type) {
	case *cli.BasicUi:
		return u.ErrorWriter
	case *cli.MockUi:
		return u.ErrorWriter
	}
	return os.Stderr
}

// in is the reader behind the UI (standard input), for "-" file arguments.
func (m *Meta) in() io.Reader {
	switch u := m.Ui.(type) {
	case *cli.BasicUi:
		if u.Reader != nil {
			return u.Reader
		}
	case *cli.MockUi:
		if u.InputReader != nil {
			return u.InputReader
		}
	}
	return os.Stdin
}

// readInput reads the file at path, or standard input for "-". It reads
// one byte past limit, so that a longer input (a wrong file: a binary,
// /dev/zero) is refused rather than read whole.
func (m *Meta) readInput(path string, limit int) ([]byte, error) {
	r := m.in()
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s is larger than the limit of %d bytes; is it the right file?", orStdin(path), limit)
	}
	return data, nil
}

func orStdin(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

// uiLineWriter feeds complete lines to a cli.Ui that exposes no writer.
type uiLineWriter struct {
	ui  cli.Ui
	buf []byte
}

func (w *uiLineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.ui.Output(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// generalOptions is appended to the help of every client command.
const generalOptions = `General Options:

  -address=<addr>
    The agent's HTTP address. Default: $APPMESH_ADDR, else http://127.0.0.1:6060.

  -token=<token>
    ACL token sent with every request. Default: $APPMESH_TOKEN.

  -namespace=<name>
    The namespace of the command's jobs, allocations and evaluations; "*"
    lists every namespace the token may see. Default: $APPMESH_NAMESPACE,
    else "default".

  -ca-cert=<path>
    CA certificate that signed the agent's HTTPS certificate.
    Default: $APPMESH_CACERT.

  -client-cert=<path>, -client-key=<path>
    Certificate and key presented to an agent with verify_https_client.
    Default: $APPMESH_CLIENT_CERT, $APPMESH_CLIENT_KEY.

  -tls-server-name=<name>
    Name checked in the agent's certificate instead of the address's host.
    Default: $APPMESH_TLS_SERVER_NAME.

  -tls-skip-verify
    Do not check the agent's certificate (tests only). Default:
    $APPMESH_SKIP_VERIFY.`

const jsonOption = `
  -json
    Print the result as JSON.`

// optionalUint is a uint64 flag that remembers whether it was given, since
// 0 is a meaningful value (-check-index 0: the job must not exist yet).
type optionalUint struct {
	value uint64
	set   bool
}

func (o *optionalUint) String() string { return strconv.FormatUint(o.value, 10) }

func (o *optionalUint) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("must be a non-negative integer")
	}
	o.value, o.set = v, true
	return nil
}
