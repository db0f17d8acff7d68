package command

import "flag"

// passThroughArgs is the maxArgs above which a command's arguments are a
// command line of their own (run, alloc exec, server join): flags among
// them belong to that command line, not to appmesh.
const passThroughArgs = 16

// parseInterleaved parses fs like fs.Parse, but also accepts flags after
// positional arguments ("job status web -json"), as a Nomad user types
// them. Commands whose arguments are a command line of their own keep
// Go's rule (flags stop at the first argument), and "--" ends the flags
// everywhere. fs.Args() is the positional arguments afterwards.
func parseInterleaved(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if maxArgs > passThroughArgs || fs.NArg() == 0 {
		return nil
	}
	var positional []string
	rest := args
	for {
		left := fs.Args()
		consumed := len(rest) - len(left)
		if consumed > 0 && rest[consumed-1] == "--" {
			positional = append(positional, left...)
			break
		}
		if len(left) == 0 {
			break
		}
		positional = append(positional, left[0])
		rest = left[1:]
		if err := fs.Parse(rest); err != nil {
			return err
		}
	}
	// Parse again with only the positional arguments left, after "--",
	// so that fs.Args() reports them.
	return fs.Parse(append([]string{"--"}, positional...))
}
