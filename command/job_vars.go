package command

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/appmesh/appmesh/jobspec"
)

// jobVarFlags are the -var and -var-file flags of the commands that read a
// job file (run, plan, validate).
type jobVarFlags struct {
	vars  multiFlag
	files multiFlag
}

// jobVarOptions is the help text of those flags.
const jobVarOptions = `
Variable Options:

  -var 'name=value'
    Sets the job file's variable "name" (declared with a variable block).
    Repeatable. A list, map or object value is written in HCL syntax:
    -var 'dcs=["dc1","dc2"]'.

  -var-file=<path>
    Reads variable values from a file of name = value lines (HCL), or a
    JSON object when the name ends in ".json". Repeatable; later files
    override earlier ones.

  Values are taken, from lowest to highest priority, from each variable's
  default, APPMESH_VAR_<name> environment variables, -var-file files in
  order, then -var flags.
`

func (f *jobVarFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.vars, "var", "")
	fs.Var(&f.files, "var-file", "")
}

// options turns the flags into parse options. The process environment is
// read here, not in jobspec, so that the library's tests stay hermetic.
func (f *jobVarFlags) options() (jobspec.ParseOptions, error) {
	opts := jobspec.ParseOptions{VarFiles: f.files, Env: os.Environ()}
	if len(f.vars) > 0 {
		opts.Vars = make(map[string]string, len(f.vars))
	}
	for _, kv := range f.vars {
		name, value, ok := strings.Cut(kv, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return opts, fmt.Errorf("-var %q: expected name=value, e.g. -var 'image=redis:7'", kv)
		}
		// A later flag wins, as with every other source of values.
		opts.Vars[name] = value
	}
	return opts, nil
}
