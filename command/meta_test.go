package command

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mitchellh/cli"
)

func TestReadInput(t *testing.T) {
	ui := cli.NewMockUi()
	ui.InputReader = strings.NewReader("from stdin")
	m := &Meta{Ui: ui}
	if got, err := m.readInput("-", 100); err != nil || string(got) != "from stdin" {
		t.Errorf(`"-": %q, %v`, got, err)
	}

	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := m.readInput(path, 5); err != nil || string(got) != "12345" {
		t.Errorf("at the limit: %q, %v", got, err)
	}
	if _, err := m.readInput(path, 4); err == nil || !strings.Contains(err.Error(), "larger than the limit of 4 bytes") {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := m.readInput(filepath.Join(t.TempDir(), "missing"), 5); err == nil {
		t.Error("a missing file was read")
	}
}
