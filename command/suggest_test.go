package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mitchellh/cli"
)

// TestFrontArgsKnowsEveryRegisteredCommand: the unknown-command check in
// front of the CLI must let every registered command through, including
// nested ones whose first word has no command of its own ("event stream"),
// so a command added to the registry just works.
func TestFrontArgsKnowsEveryRegisteredCommand(t *testing.T) {
	commands := Commands(cli.NewMockUi())
	for name := range commands {
		var errOut bytes.Buffer
		args := append(strings.Fields(name), "-h")
		if _, _, done := frontArgs(args, commands, &errOut); done {
			t.Errorf("%q refused as unknown: %s", name, errOut.String())
		}
	}
	var errOut bytes.Buffer
	if _, code, done := frontArgs([]string{"evnet", "stream"}, commands, &errOut); !done || code != exitUsage ||
		!strings.Contains(errOut.String(), `Did you mean "event"?`) {
		t.Errorf("typo of a nested command's first word: done=%v code=%d %q", done, code, errOut.String())
	}
}
