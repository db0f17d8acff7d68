package command

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mitchellh/cli"
)

// frontArgs handles what comes before a command runs: "appmesh help
// <command>" becomes "<command> -h", and an unknown command is reported
// with the nearest known one. It works from the registry alone, so new
// commands need nothing here. done reports that the exit code is final.
func frontArgs(args []string, commands map[string]cli.CommandFactory, errOut io.Writer) (_ []string, code int, done bool) {
	if len(args) == 0 {
		return args, 0, false
	}
	if args[0] == "help" {
		if len(args) == 1 {
			return []string{"--help"}, 0, false
		}
		args = append(append([]string(nil), args[1:]...), "-h")
	}
	first := args[0]
	if strings.HasPrefix(first, "-") {
		return args, 0, false
	}
	// A word is known when it names a command or starts one ("event" of
	// "event stream", which has no command of its own).
	var top []string
	seen := map[string]bool{}
	for name := range commands {
		word, _, _ := strings.Cut(name, " ")
		if word == first {
			return args, 0, false
		}
		if !seen[word] {
			seen[word] = true
			top = append(top, word)
		}
	}
	msg := fmt.Sprintf("Unknown command %q.", first)
	if s := nearest(first, top); s != "" {
		msg += fmt.Sprintf(" Did you mean %q?", s)
	}
	fmt.Fprintf(errOut, "%s\nUsage: appmesh [--version] [--help] <command> [<args>]; \"appmesh --help\" lists the commands.\n", msg)
	return args, exitUsage, true
}

// nearest returns the candidate closest to word by edit distance, if it is
// close enough to be a plausible typo (or word is a prefix of it).
func nearest(word string, candidates []string) string {
	sort.Strings(candidates)
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), strings.ToLower(c))
		if strings.HasPrefix(c, word) && len(word) >= 2 {
			d = 1
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(word)/3 + 1
	if limit < 2 {
		limit = 2
	}
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (with adjacent
// transpositions, the commonest typo) between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// unknownSubcommand is the message for "appmesh <group> <word>" where word
// is none of the group's subcommands, with the nearest one if any.
func unknownSubcommand(group, word string, commands map[string]cli.CommandFactory) string {
	var subs []string
	for name := range commands {
		rest, ok := strings.CutPrefix(name, group+" ")
		if ok && !strings.Contains(rest, " ") {
			subs = append(subs, rest)
		}
	}
	msg := fmt.Sprintf("Unknown subcommand %q.", word)
	if s := nearest(word, subs); s != "" {
		msg += fmt.Sprintf(" Did you mean \"%s %s\"?", group, s)
	}
	return msg + "\n"
}
