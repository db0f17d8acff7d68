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
}

// flagSet returns a flag set with -address, -token and -namespace, and
// -json for read commands. Parse errors are reported by parseFlags, not by package flag.
func (m *Meta) flagSet(name string, withJSON bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&m.address, "address", "", "")
	fs.StringVar(&m.token, "token", "", "")
	fs.StringVar(&m.namespace, "namespace", "", "")
	if withJSON {
		fs.BoolVar(&m.json, "json", false, "")
	}
	return fs
}

// parseFlags parses args and checks the number of positional arguments.
// It returns -1 to go on, or the exit code to return at once.
func (m *Meta) parseFlags(fs *flag.FlagSet, args []string, help string, minArgs, maxArgs int) int {
	if err := fs.Parse(args); err != nil {
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
	return api.NewClient(cfg)
}

// allNamespaces reports whether the command runs across every namespace
// (-namespace '*' or APPMESH_NAMESPACE=*), where lists show a namespace column.
func (m *Meta) allNamespaces() bool {
	ns := m.namespace
	if ns == "" {
		ns = strings.TrimSpace(os.Getenv(api.EnvNamespace))
	}
	return ns == structs.AllNamespacesSentinel
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
    else "default".`

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
