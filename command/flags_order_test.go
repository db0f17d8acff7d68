package command

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// TestParseInterleaved: flags after arguments are accepted, "--" ends the
// flags, and pass-through commands keep their command line untouched.
func TestParseInterleaved(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		maxArgs int
		json    bool
		rest    []string
	}{
		{[]string{"web", "-json"}, 1, true, []string{"web"}},
		{[]string{"-json", "web"}, 1, true, []string{"web"}},
		{[]string{"a", "-json", "b"}, 2, true, []string{"a", "b"}},
		{[]string{"web", "--", "-json"}, 2, false, []string{"web", "-json"}},
		{[]string{"render", "-"}, 2, false, []string{"render", "-"}},
		{[]string{"id", "ls", "-json"}, 1 << 20, false, []string{"id", "ls", "-json"}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		js := fs.Bool("json", false, "")
		if err := parseInterleaved(fs, tc.args, tc.maxArgs); err != nil {
			t.Errorf("%v: %v", tc.args, err)
			continue
		}
		if *js != tc.json || !slices.Equal(fs.Args(), tc.rest) {
			t.Errorf("%v: json=%v args=%q, want json=%v args=%q", tc.args, *js, fs.Args(), tc.json, tc.rest)
		}
	}
}
