package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The doc runner executes the commands of a Markdown page against a real
// dev agent and checks their output, so that the page cannot drift from
// the binary. Markup (invisible when rendered, or plain Markdown):
//
//   - a ```console block: lines starting with "$ " are commands; the lines
//     after one, up to the next "$ ", are its expected output (none: no
//     check of the output);
//   - a ```shell block: every line is a command (a line ending in "\",
//     a heredoc or a for loop continues until the shell would run it); an
//     ```output block right after it is the expected output of the block;
//   - <!-- doc-test: file NAME --> before a block writes the block to NAME
//     in the working directory (a job file the page asks to save);
//   - <!-- doc-test: skip REASON --> before a block leaves it out (the agent
//     start the test does itself, `make` targets, hosts that do not exist);
//   - <!-- doc-test: run COMMAND --> runs COMMAND there, unseen by the
//     reader (the setup a page takes for granted, such as a job file);
//   - a "$ " command in any other block that is not skipped fails the
//     test, so that a page cannot show a command the test never runs.
//
// A command must exit 0, unless the next command is `echo $?` (whose
// expected output then says the code). Expected output is matched line by
// line, blank lines ignored, runs of spaces as one: "..." stands for any
// number of lines; <word> for any one word; IDs (8 hex digits or a UUID),
// RFC 3339 times and ages ("3s ago") match any other of their kind; text
// after two spaces and a "#" is a comment for the reader.

// docStep is one command of a page (or one shell block).
type docStep struct {
	where   string   // file:line, for messages
	cmd     string   // the shell text
	want    []string // expected output lines; nil: not checked
	mayFail bool     // the next command reads $?
}

var docDirective = regexp.MustCompile(`^<!--\s*doc-test:\s*(\w+)\s*(.*?)\s*-->$`)

// parseDoc reads a page into the steps to run, in order.
func parseDoc(t *testing.T, path string) []docStep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	var steps []docStep
	directive, arg := "", ""
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if m := docDirective.FindStringSubmatch(line); m != nil {
			if m[1] == "run" {
				steps = append(steps, docStep{where: fmt.Sprintf("%s:%d", filepath.Base(path), i+1), cmd: m[2]})
				continue
			}
			directive, arg = m[1], m[2]
			continue
		}
		if !strings.HasPrefix(line, "```") {
			continue
		}
		lang := strings.TrimPrefix(line, "```")
		start := i + 1
		body, end := fencedBody(lines, start)
		i = end
		where := fmt.Sprintf("%s:%d", filepath.Base(path), start)
		switch {
		case directive == "skip":
		case directive == "file":
			steps = append(steps, docStep{where: where, want: nil,
				cmd: fmt.Sprintf("cat > %s <<'DOCTEST_EOF'\n%s\nDOCTEST_EOF", arg, strings.Join(body, "\n"))})
		case lang == "console":
			steps = append(steps, consoleSteps(where, body)...)
		case lang == "shell":
			step := docStep{where: where, cmd: strings.Join(body, "\n")}
			if j := nextNonBlank(lines, i+1); j >= 0 && strings.TrimSpace(lines[j]) == "```output" {
				step.want, i = fencedBody(lines, j+1)
				step.want = nonNil(step.want)
			}
			steps = append(steps, step)
		default:
			// A command shown in a block the runner does not run would
			// drift unseen: it must be a console block, or skipped.
			for _, l := range body {
				if strings.HasPrefix(strings.TrimSpace(l), "$ ") {
					t.Errorf("%s: a %q block shows the command %q: make it a ```console block or mark it <!-- doc-test: skip REASON -->",
						where, "```"+lang, strings.TrimSpace(l))
					break
				}
			}
		}
		directive, arg = "", ""
	}
	for i := range steps {
		if i+1 < len(steps) && strings.HasPrefix(strings.TrimSpace(steps[i+1].cmd), "echo $?") {
			steps[i].mayFail = true
		}
	}
	return steps
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fencedBody returns the lines from start up to the closing fence and the
// index of that fence.
func fencedBody(lines []string, start int) ([]string, int) {
	for j := start; j < len(lines); j++ {
		if strings.TrimSpace(lines[j]) == "```" {
			return lines[start:j], j
		}
	}
	return lines[start:], len(lines)
}

func nextNonBlank(lines []string, from int) int {
	for j := from; j < len(lines); j++ {
		if strings.TrimSpace(lines[j]) != "" {
			return j
		}
	}
	return -1
}

// consoleSteps splits a console block into its "$ " commands and their
// expected output. A command continues on the next lines while the shell
// says it is incomplete (a trailing "\", an open quote).
func consoleSteps(where string, body []string) []docStep {
	var steps []docStep
	for k := 0; k < len(body); k++ {
		if !strings.HasPrefix(body[k], "$ ") {
			continue
		}
		cmd := strings.TrimPrefix(body[k], "$ ")
		for !shellComplete(cmd) && k+1 < len(body) {
			k++
			cmd += "\n" + body[k]
		}
		var out []string
		for k+1 < len(body) && !strings.HasPrefix(body[k+1], "$ ") {
			k++
			out = append(out, body[k])
		}
		step := docStep{where: where, cmd: cmd}
		if len(strings.TrimSpace(strings.Join(out, ""))) > 0 {
			step.want = out
		}
		steps = append(steps, step)
	}
	return steps
}

// shellComplete reports whether bash would run cmd as it is.
func shellComplete(cmd string) bool {
	if strings.HasSuffix(strings.TrimRight(cmd, " "), "\\") {
		return false
	}
	return exec.Command("bash", "-n", "-c", cmd).Run() == nil
}

// docScript runs the steps in one bash session (variables and the working
// directory carry over), framing each step's output and exit code.
func docScript(steps []docStep) string {
	var b strings.Builder
	b.WriteString("__rc=0\n")
	for i, s := range steps {
		// (exit $__rc) gives the step the exit code of the step before, for
		// an "echo $?" step.
		fmt.Fprintf(&b, "printf '\\n@@DOCTEST-BEGIN %d@@\\n'\n{\n(exit $__rc)\n%s\n} 2>&1 </dev/null\n__rc=$?\nprintf '\\n@@DOCTEST-END %d %%d@@\\n' $__rc\n", i, s.cmd, i)
	}
	return b.String()
}

var docEnd = regexp.MustCompile(`^@@DOCTEST-END (\d+) (\d+)@@$`)

// docResults splits the script's output into each step's output and code.
func docResults(out string, n int) ([]string, []int) {
	outs, codes := make([]string, n), make([]int, n)
	for i := range codes {
		codes[i] = -1 // never reached
	}
	cur, buf := -1, []string{}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "@@DOCTEST-BEGIN ") {
			cur, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(line, "@@DOCTEST-BEGIN "), "@@"))
			buf = buf[:0]
			continue
		}
		if m := docEnd.FindStringSubmatch(line); m != nil && cur >= 0 && cur < n {
			outs[cur] = strings.Join(buf, "\n")
			codes[cur], _ = strconv.Atoi(m[2])
			cur = -1
			continue
		}
		buf = append(buf, line)
	}
	return outs, codes
}

var (
	docUUID    = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	docTime    = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\b`)
	docShortID = regexp.MustCompile(`\b[0-9a-f]{8}\b`)
	docAge     = regexp.MustCompile(`\b(\d+(\.\d+)?(ms|µs|h|m|s))+ ago\b`)
	docComment = regexp.MustCompile(`\s{2,}#.*$`)
	docSpaces  = regexp.MustCompile(`\s+`)
	docWord    = regexp.MustCompile(`<[A-Za-z][A-Za-z0-9 _-]*>`)
)

// docNormalize makes volatile parts of a line comparable.
func docNormalize(s string) string {
	s = docUUID.ReplaceAllString(s, "<uuid>")
	s = docTime.ReplaceAllString(s, "<time>")
	s = docShortID.ReplaceAllStringFunc(s, func(id string) string {
		if strings.ContainsAny(id, "0123456789") {
			return "<id>"
		}
		return id
	})
	s = docAge.ReplaceAllString(s, "<age>")
	return strings.TrimSpace(docSpaces.ReplaceAllString(s, " "))
}

// docLineRegexp turns an expected line into a regexp: <word> matches any
// word, the rest literally.
func docLineRegexp(want string) *regexp.Regexp {
	want = docNormalize(docComment.ReplaceAllString(want, ""))
	var b strings.Builder
	last := 0
	for _, m := range docWord.FindAllStringIndex(want, -1) {
		b.WriteString(regexp.QuoteMeta(want[last:m[0]]))
		b.WriteString(`\S+`)
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(want[last:]))
	return regexp.MustCompile("^" + b.String() + "$")
}

// docMatch reports whether got (the output) matches want.
func docMatch(want, got []string) bool {
	var w, g []string
	for _, l := range want {
		if strings.TrimSpace(docComment.ReplaceAllString(l, "")) != "" {
			w = append(w, l)
		}
	}
	for _, l := range got {
		if strings.TrimSpace(l) != "" {
			g = append(g, docNormalize(l))
		}
	}
	return docMatchFrom(w, g)
}

func docMatchFrom(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if strings.TrimSpace(want[0]) == "..." {
		for k := 0; k <= len(got); k++ {
			if docMatchFrom(want[1:], got[k:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && docLineRegexp(want[0]).MatchString(got[0]) && docMatchFrom(want[1:], got[1:])
}

// runDoc runs a page's steps against a fresh dev agent (node "vm", as the
// pages show it) in a fresh working directory with bin/appmesh and
// appmesh on the PATH, and reports every step that failed or whose output
// no longer matches.
func runDoc(t *testing.T, page string) {
	steps := parseDoc(t, page)
	if len(steps) == 0 {
		t.Fatalf("%s: no doc-test steps found", page)
	}
	a := startAgentNamed(t, "vm")
	dir := traversableTempDir(t)
	bin := filepath.Join(dir, "work", "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(appmeshBin, filepath.Join(bin, "appmesh")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sh := exec.CommandContext(ctx, "bash", "-c", docScript(steps))
	sh.Dir = filepath.Join(dir, "work")
	sh.Env = append(cleanEnv(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"APPMESH_ADDR="+a.addr, "TMPDIR="+dir)
	out, err := sh.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s: the page's commands did not finish: %v\n%s", page, err, out)
	}
	outs, codes := docResults(string(out), len(steps))
	for i, s := range steps {
		switch {
		case codes[i] < 0:
			t.Errorf("%s: not reached: %s", s.where, s.cmd)
		case codes[i] != 0 && !s.mayFail:
			t.Errorf("%s: %s\nexit code %d\n%s", s.where, s.cmd, codes[i], outs[i])
		case s.want != nil && !docMatch(s.want, strings.Split(outs[i], "\n")):
			t.Errorf("%s: %s\noutput does not match the page.\n--- page ---\n%s\n--- got ---\n%s",
				s.where, s.cmd, strings.Join(s.want, "\n"), outs[i])
		}
	}
	t.Logf("ran %d steps of %s", len(steps), page)
}

// startAgentNamed is startAgent for a dev agent with a given node name.
func startAgentNamed(t *testing.T, node string) *agent {
	return startAgent(t, agentOptions{dev: true, nodeName: node})
}

// TestDocs runs the shell blocks of README.md, the getting-started guide
// and the CLI page.
func TestDocs(t *testing.T) {
	for _, page := range []string{
		filepath.Join("..", "README.md"),
		filepath.Join("..", "website", "getting-started.md"),
		filepath.Join("..", "website", "cli.md"),
	} {
		t.Run(filepath.Base(page), func(t *testing.T) { runDoc(t, page) })
	}
}
