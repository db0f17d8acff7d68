package command

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/posener/complete"
)

// Shell completion: mitchellh/cli completes subcommands (and the flags
// below) when bash or zsh runs `appmesh` with COMP_LINE set, after
// `appmesh -autocomplete-install` put `complete -C <this binary> appmesh`
// into the shell's rc file. The install is done here rather than by
// posener/complete's installer, which finds the rc files through the
// password database and so ignores $HOME (a test, or a user whose HOME
// differs from /etc/passwd, would have the wrong file changed).

const (
	flagAutocompleteInstall   = "-autocomplete-install"
	flagAutocompleteUninstall = "-autocomplete-uninstall"
	completionName            = "appmesh"
	zshCompInit               = "autoload -U +X bashcompinit && bashcompinit"
)

// completing reports whether the shell asked for completions.
func completing() bool { return os.Getenv("COMP_LINE") != "" }

// autocompleteFlag reports whether args are only -autocomplete-install
// or -autocomplete-uninstall (one or two dashes), and which.
func autocompleteFlag(args []string) (install, uninstall bool) {
	for _, a := range args {
		switch "-" + strings.TrimLeft(a, "-") {
		case flagAutocompleteInstall:
			install = true
		case flagAutocompleteUninstall:
			uninstall = true
		default:
			return false, false
		}
	}
	return install, uninstall
}

// runAutocompleteInstall adds (or removes) the completion lines for bash
// and zsh and says which files changed.
func runAutocompleteInstall(install, uninstall bool, out, errOut io.Writer) int {
	if install && uninstall {
		fmt.Fprintf(errOut, "Use one of %s and %s, not both.\n", flagAutocompleteInstall, flagAutocompleteUninstall)
		return exitUsage
	}
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.Abs(bin)
	}
	if err != nil {
		fmt.Fprintf(errOut, "Error: find this binary's path: %v\n", err)
		return exitError
	}
	home, err := os.UserHomeDir() // $HOME
	if err != nil {
		fmt.Fprintf(errOut, "Error: %v\n", err)
		return exitError
	}
	var errs []error
	for _, rc := range completionRCFiles(home, install) {
		msg, err := rc.apply(bin, install)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(out, msg)
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(errOut, "Error: %v\n", err)
		return exitError
	}
	return exitOK
}

// rcFile is one shell's startup file and the line that completes appmesh.
type rcFile struct {
	path, line string
	zsh        bool
}

// completionRCFiles are the files to change: bash's first existing rc
// file (~/.bashrc made when there is none and this is an install), and
// ~/.zshrc when it exists or zsh is the login shell.
func completionRCFiles(home string, install bool) []rcFile {
	var out []rcFile
	bash := ""
	for _, name := range []string{".bashrc", ".bash_profile", ".bash_login", ".profile"} {
		if p := filepath.Join(home, name); fileExists(p) {
			bash = p
			break
		}
	}
	if bash == "" && install {
		bash = filepath.Join(home, ".bashrc")
	}
	if bash != "" {
		out = append(out, rcFile{path: bash, line: "complete -C %s " + completionName})
	}
	zshrc := filepath.Join(home, ".zshrc")
	if fileExists(zshrc) || (install && strings.HasSuffix(os.Getenv("SHELL"), "/zsh")) {
		out = append(out, rcFile{path: zshrc, line: "complete -o nospace -C %s " + completionName, zsh: true})
	}
	return out
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// apply adds or removes the completion line. Installing twice, or
// uninstalling what is not there, changes nothing and says so.
func (r rcFile) apply(bin string, install bool) (string, error) {
	line := fmt.Sprintf(r.line, bin)
	data, err := os.ReadFile(r.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", r.path, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(data) == 0 {
		lines = nil
	}
	has := false
	var kept []string
	for _, l := range lines {
		if strings.TrimSpace(l) == line {
			has = true
			continue
		}
		kept = append(kept, l)
	}
	switch {
	case install && has:
		return fmt.Sprintf("Completion already installed in %s", r.path), nil
	case !install && !has:
		return fmt.Sprintf("Completion not installed in %s", r.path), nil
	case install:
		// zsh runs bash's `complete` only after bashcompinit.
		if r.zsh && !containsLine(lines, zshCompInit) {
			kept = append(kept, zshCompInit)
		}
		kept = append(kept, line)
	}
	text := strings.Join(kept, "\n")
	if len(kept) > 0 {
		text += "\n"
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(r.path); err == nil {
		mode = st.Mode().Perm()
	}
	if err := os.WriteFile(r.path, []byte(text), mode); err != nil {
		return "", fmt.Errorf("write %s: %w", r.path, err)
	}
	if install {
		return fmt.Sprintf("Completion installed in %s (open a new shell to use it)", r.path), nil
	}
	return fmt.Sprintf("Completion removed from %s", r.path), nil
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// AutocompleteFlags are the flags every API command takes (Meta.flagSet).
func (m *Meta) AutocompleteFlags() complete.Flags {
	flags := complete.Flags{}
	fs := (&Meta{}).flagSet("", true)
	fs.VisitAll(func(f *flag.Flag) {
		var p complete.Predictor = complete.PredictAnything
		if strings.HasSuffix(f.Name, "-cert") || strings.HasSuffix(f.Name, "-key") {
			p = complete.PredictFiles("*.pem")
		}
		if _, ok := f.Value.(interface{ IsBoolFlag() bool }); ok {
			p = complete.PredictNothing
		}
		flags["-"+f.Name] = p
	})
	return flags
}

// AutocompleteArgs: most commands take IDs, which would need the API.
func (m *Meta) AutocompleteArgs() complete.Predictor { return complete.PredictNothing }

// jobFilePredictor completes job files for job run, plan and validate.
var jobFilePredictor = complete.PredictOr(complete.PredictFiles("*.hcl"), complete.PredictFiles("*.nomad"), complete.PredictFiles("*.json"))

func (c *JobRunCommand) AutocompleteArgs() complete.Predictor      { return jobFilePredictor }
func (c *JobPlanCommand) AutocompleteArgs() complete.Predictor     { return jobFilePredictor }
func (c *JobValidateCommand) AutocompleteArgs() complete.Predictor { return jobFilePredictor }

// AutocompleteArgs: the agent takes no arguments.
func (c *AgentCommand) AutocompleteArgs() complete.Predictor { return complete.PredictNothing }

// AutocompleteFlags are the agent's flags, with files and directories
// where they take one.
func (c *AgentCommand) AutocompleteFlags() complete.Flags {
	flags := complete.Flags{}
	for _, name := range []string{"-dev", "-server", "-client", "-acl-enabled"} {
		flags[name] = complete.PredictNothing
	}
	for _, name := range []string{"-bind", "-advertise", "-http-port", "-rpc-port", "-gossip-port", "-node", "-dc",
		"-bootstrap-expect", "-join", "-servers", "-meta", "-encrypt"} {
		flags[name] = complete.PredictAnything
	}
	flags["-config"] = complete.PredictOr(complete.PredictFiles("*.hcl"), complete.PredictFiles("*.json"))
	flags["-data-dir"] = complete.PredictDirs("*")
	flags["-plugin-dir"] = complete.PredictDirs("*")
	flags["-log-level"] = complete.PredictSet("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
	return flags
}
