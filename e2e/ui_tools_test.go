package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// uiJobHCL is a job as a person types it in the editor: HCL, with a task
// that lives long enough to exec into.
func uiJobHCL(id string, seconds int) string {
	return fmt.Sprintf(`job %q {
  group "web" {
    count = 1

    task "server" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo hcl-job-${var.word}; exec sleep %d"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}

variable "word" {
  default = "up"
}
`, id, seconds)
}

// TestUIEditorHCLAndTerminal: a job written in HCL in the editor. A
// mistake is reported with its line (and the line is marked in the
// gutter); the fixed job is planned, run and shown on its job page; then
// the allocation's exec terminal runs a shell on a pseudo-terminal, with
// line editing keys, Ctrl+C and the terminal's size.
func TestUIEditorHCLAndTerminal(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	b := newBrowser(t, 1280, 900)
	seconds, marker := taskSleep(93)
	a.track(marker)
	b.open("open the editor", a.addr+"/ui/#/run")
	b.waitText("h1", "Run a job")

	// Tab in the editor indents instead of leaving it.
	b.setValue("#job-editor", "")
	b.step("focus the editor", chromedp.Focus(chromedp.CSS("#job-editor")))
	b.step("press Tab", chromedp.KeyEvent("\t"))
	var v string
	b.eval("read the editor", `document.querySelector("#job-editor").value`, &v)
	if v != "  " {
		t.Errorf("Tab in the editor gave %q, want two spaces", v)
	}

	good := uiJobHCL("ui-hcl", seconds)
	bad := strings.Replace(good, "count = 1", "count = 1\n    colour = \"blue\"", 1)
	b.setValue("#job-editor", bad)
	b.click("#plan-job")
	b.waitText("#parse-errors", "Line 4, column 5")
	b.waitText("#parse-errors", "colour")
	b.waitText(".codearea .gutter", "! 4")
	b.shot("editor-hcl-error")
	if b.exists("#run-job:not([disabled])") {
		t.Errorf("Run is enabled after a failed parse")
	}
	b.click("#parse-errors button")
	var caretLine int
	b.eval("read the caret's line", `(() => { const e = document.querySelector("#job-editor");
		return e.value.slice(0, e.selectionStart).split("\n").length })()`, &caretLine)
	if caretLine != 4 {
		t.Errorf("the problem's button put the cursor on line %d, want 4", caretLine)
	}

	// A job no node can take: the plan says why, in words.
	nowhere := strings.Replace(good, "count = 1", "count = 1\n    constraint {\n      attribute = \"${node.unique.name}\"\n      value     = \"nowhere\"\n    }", 1)
	b.setValue("#job-editor", nowhere)
	b.click("#plan-job")
	b.waitText("#plan-text", "group web cannot be placed")
	b.waitText("#plan-text", "filtered 1 node(s)")

	b.setValue("#job-editor", good)
	b.setValue("#job-vars", "word=from-vars")
	b.click("#plan-job")
	b.waitText("#plan-text", "group web: 1 place")
	b.click("#run-job")
	b.waitText("h1", "Job ui-hcl")
	b.waitText("#alloc-counts", "1 running")
	b.waitText("#main", "raw_exec")

	// The exec terminal: a shell on a pseudo-terminal.
	b.click(`#main table a[href^="#/alloc/"]`)
	b.waitText("h1", "Allocation")
	b.waitText("#log-output", "hcl-job-from-vars") // the variable's value from the editor
	b.waitText("#exec-status", "Not connected")
	// bash, not sh: Debian's sh (dash) has no line editing. A prompt of
	// our own, whatever the agent's environment says.
	b.setValue("#exec-command", `["/usr/bin/env", "PS1=ui-term$ ", "/bin/bash", "--norc", "--noprofile", "-i"]`)
	b.setValue("#exec-mode", "terminal")
	b.click("#exec-connect")
	b.waitText("#exec-status", "Connected")
	b.waitFor("the terminal to have the focus", func() (bool, string) {
		var id string
		b.eval("read the focus", `document.activeElement ? document.activeElement.id : ""`, &id)
		return id == "exec-terminal", id
	})
	term := func(keys string) { b.step("type "+keys, chromedp.SendKeys(chromedp.CSS("#exec-terminal"), keys)) }
	// ready waits until the terminal shows pattern and then a prompt on
	// its last line: typing ahead of the shell is what a person does not
	// do, and input typed around a Ctrl+C is flushed by the terminal.
	ready := func(pattern string) {
		re := regexp.MustCompile(`(?s)` + pattern + `.*\nui-term\$ *$`)
		b.waitFor("the terminal to show "+pattern+" and a prompt", func() (bool, string) {
			got := strings.TrimRight(b.text("#exec-terminal"), "\n")
			return re.MatchString(got), got
		})
	}
	b.waitFor("the first prompt", func() (bool, string) {
		got := b.text("#exec-terminal")
		return strings.Contains(got, "ui-term$"), got
	})
	term("tty; echo term-$((6*7))\r")
	b.waitText("#exec-terminal", "/dev/pts/")
	ready(`\nterm-42`)
	// Line editing: type, move left, insert, as readline does with the
	// terminal's arrow keys.
	term("echo ab")
	b.step("press Left", chromedp.KeyEvent(kb.ArrowLeft))
	term("X\r")
	ready(`\naXb`)
	// Ctrl+C interrupts a command and the shell answers again.
	term("echo sleep-$((1+1)); sleep 300\r")
	b.waitText("#exec-terminal", "\nsleep-2")
	b.eval("press Ctrl+C", `document.querySelector("#exec-terminal").dispatchEvent(
		new KeyboardEvent("keydown", {key: "c", ctrlKey: true, bubbles: true, cancelable: true}))`, new(bool))
	ready(`sleep-2.*\^C`)
	term("echo after-$((1+1))\r")
	ready(`\nafter-2`)
	// The terminal told the node its size (rows and columns from the page).
	term("stty size\r")
	b.waitFor("stty size to print the page's terminal size", func() (bool, string) {
		got := b.text("#exec-terminal")
		m := regexp.MustCompile(`(?m)^(\d+) (\d+)$`).FindStringSubmatch(got)
		return m != nil && m[1] != "0" && m[2] != "0" && m[2] != "80", got
	})
	b.shot("exec-terminal")
	term("exit\r")
	b.waitText("#exec-status", "exited with code 0")
}

// TestUIRemoteRun runs a command on the node from the Remote run page and
// sees its output, its standard error and its exit code.
func TestUIRemoteRun(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	b := newBrowser(t, 1280, 900)
	b.open("open remote run", a.addr+"/ui/#/remote-run")
	b.waitText("h1", "Remote run")
	b.waitText("#run-node", a.nodeName())
	b.setValue("#run-node", a.nodeName())
	b.setValue("#run-driver", "raw_exec")
	b.setValue("#run-command", `["/bin/sh", "-c", "echo remote-$((6*7)); sleep 1; echo second-line; echo to-err >&2; exit 3"]`)
	b.click("#run-start")
	b.waitText("#run-output", "remote-42")
	b.waitText("#run-output", "second-line")
	b.waitText("#run-stderr", "to-err")
	b.waitText("#run-status", "exited with code 3")
	b.waitText("#run-status", "on "+a.nodeName())
	b.shot("remote-run")

	// Words are an argv, never a shell line: the $ stays a $.
	b.setValue("#run-command", "/bin/echo $HOME;x")
	b.click("#run-start")
	b.waitText("#run-output", "$HOME;x")
	b.waitText("#run-status", "exited with code 0")
}

// TestUIACLManage: a management token creates a policy, a token with it
// (whose secret is shown once), a role and a user, locks and unlocks the
// user and deletes things; the new read-only token then sees no forms and
// no delete buttons.
func TestUIACLManage(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true, acl: true})
	b := newBrowser(t, 1280, 900)
	b.open("open the UI", a.addr+"/ui/#/acl")
	b.waitText("h1", "Log in")
	b.setValue("#token", a.token)
	b.click(`form[aria-labelledby="login-token-h"] button[type=submit]`)
	b.waitText("#who", "management")
	b.waitText("h1", "Access control")

	// A policy, with HCL rules written in the form.
	b.waitText("#acl-policies", "New policy")
	b.setValue("#policy-name", "ops-read")
	b.setValue("#policy-description", "reads default")
	b.setValue("#policy-rules", "namespace \"default\" {\n  policy = \"read\"\n}\n")
	b.click("#policy-save")
	b.waitText("#acl-policies table", "ops-read")
	// A broken rule is refused with the agent's message.
	b.setValue("#policy-name", "broken")
	b.setValue("#policy-rules", "namespace \"default\" {\n  policy = \"sometimes\"\n}\n")
	b.click("#policy-save")
	b.waitText("#acl-policies [role=alert]", "sometimes")
	b.waitText("#acl-policies .gutter", "! 2")

	// A token with that policy; its secret is shown once and works.
	b.setValue("#new-token-name", "ops-viewer")
	b.setValue("#new-token-policies", "ops-read")
	b.click("#new-token-create")
	b.waitText("#acl-tokens table", "ops-viewer")
	var secret string
	b.eval("read the new secret", `(document.querySelector("#new-token-secret") || {}).value || ""`, &secret)
	if len(secret) < 20 {
		t.Fatalf("the new token's secret is not shown: %q", secret)
	}
	req, _ := http.NewRequest(http.MethodGet, a.addr+"/v1/acl/token/self", nil)
	req.Header.Set("X-Appmesh-Token", secret)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the secret the page showed does not work: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// A role and a user; lock, unlock, delete.
	b.setValue("#role-name", "ops")
	b.setValue("#role-policies", "ops-read")
	b.click("#role-save")
	b.waitText("#acl-roles table", "ops")
	b.setValue("#user-name", "olga")
	b.setValue("#user-password", "correct horse battery staple")
	b.setValue("#user-roles", "ops")
	b.click("#user-create")
	b.waitText("#acl-users table", "olga")
	b.waitText("#acl-users table", "active")
	// The page with every kind of object on it, at a phone's width:
	// nothing to scroll sideways, and the forms and row buttons on screen.
	b.atPhoneWidth()
	b.assertFits("the access control page", "#user-create", `button[data-user-lock="olga"]`, `button[data-user-delete="olga"]`,
		"#acl-policies table", "#acl-tokens table", "#acl-roles table")
	b.step("back to a desktop screen", chromedp.EmulateViewport(1280, 900))
	b.click(`button[data-user-lock="olga"]`)
	b.waitText("#acl-users table", "locked")
	b.waitText(`button[data-user-lock="olga"]`, "Unlock")
	b.click(`button[data-user-lock="olga"]`)
	b.waitText("#acl-users table", "active")
	b.click(`button[data-user-delete="olga"]`)
	b.waitText(`button[data-user-delete="olga"]`, "Confirm")
	b.click(`button[data-user-delete="olga"]`)
	b.waitText("#toast", "User deleted")
	b.waitFor("olga to leave the users list", func() (bool, string) {
		got := b.text("#acl-users")
		return !strings.Contains(got, "olga"), got
	})
	b.shot("acl")

	// The read-only token sees the lists but no way to change them.
	b.click("#who button")
	b.waitText("h1", "Log in")
	b.setValue("#token", secret)
	b.click(`form[aria-labelledby="login-token-h"] button[type=submit]`)
	b.waitText("#who", "ops-viewer")
	b.goHash("#/acl")
	b.waitText("#acl-readonly", "needs a management token")
	for _, sel := range []string{"#new-token-create", "#policy-save", "#role-save", "#user-create", "button[data-accessor]", "button[data-policy]"} {
		if b.exists(sel) {
			t.Errorf("a read-only token is offered %s", sel)
		}
	}
	// And the editor and remote run refuse it: no Run for commands.
	b.goHash("#/remote-run")
	b.waitText("#run-denied", "may not run commands")
}

// uiToolsByKeyboard (from TestUIAccessible, at phone width): the editor
// and the remote run page fit a phone's screen (phoneWidth), with their
// main button on it, and a command runs with
// the keyboard alone (Tab to the field, type, Enter).
func uiToolsByKeyboard(t *testing.T, b *browser) {
	t.Helper()
	for _, page := range []struct{ hash, h1, control string }{{"#/run", "Run a job", "#plan-job"}, {"#/remote-run", "Remote run", "#run-start"}} {
		b.goHash(page.hash)
		b.waitText("h1", page.h1)
		b.waitFor(page.hash+" to render", func() (bool, string) { return b.exists(page.control), b.text("#main") })
		b.assertFits(page.hash, page.control)
	}
	b.setValue("#run-driver", "raw_exec")
	b.tabTo("#run-command")
	b.step("type a command", chromedp.KeyEvent("/bin/echo typed-by-keyboard"))
	b.step("press Enter", chromedp.KeyEvent("\r"))
	b.waitText("#run-output", "typed-by-keyboard")
	b.waitText("#run-status", "exited with code 0")
}

// TestUITerminalEmulation feeds the exec terminal (ui/static/js/term.js),
// loaded in a real browser from the agent, the sequences a shell and
// readline write, and checks the text it then shows.
func TestUITerminalEmulation(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	b := newBrowser(t, 1280, 900)
	b.open("open the UI", a.addr+"/ui/")
	b.waitText("h1", "Cluster overview")
	var started bool
	b.eval("load term.js", `(() => { import("./js/term.js").then((m) => {
		const run = (rows, cols, ...chunks) => {
			const t = new m.Terminal(() => {}, () => {});
			t.resize(rows, cols);
			for (const c of chunks) t.write(c);
			return t.text().replace(/\n+$/, "");
		};
		const key = (key, mods) => m.keySequence(Object.assign({ key, ctrlKey: false, altKey: false, shiftKey: false, metaKey: false }, mods || {}));
		window.__termResults = {
			eraseLine: run(5, 20, "hello\x1b[3D\x1b[K"),
			deleteChar: run(5, 20, "12345\r\x1b[2C\x1b[P"),
			insertChar: run(5, 20, "abcd\r\x1b[1C\x1b[2@"),
			backspace: run(5, 20, "ab\b\bX"),
			wrap: run(5, 20, "x".repeat(25)),
			scroll: run(3, 20, "1\r\n2\r\n3\r\n4\r\n5"),
			clear: run(5, 20, "old\r\n\x1b[2J\x1b[Htop"),
			split: run(5, 20, "\x1b[", "2;5H*"),
			osc: run(5, 20, "\x1b]0;title\x07ok"),
			colours: run(5, 20, "\x1b[1;31mred\x1b[0m!"),
			ctrlC: key("c", { ctrlKey: true }),
			up: key("ArrowUp"),
			enter: key("Enter"),
			copy: key("C", { ctrlKey: true, shiftKey: true }),
		};
	}); return true })()`, &started)
	var got map[string]*string
	b.waitFor("term.js to answer", func() (bool, string) {
		got = nil
		b.eval("read the results", `window.__termResults || null`, &got)
		return got != nil, ""
	})
	want := map[string]*string{
		"eraseLine": termStr("he"), "deleteChar": termStr("1245"), "insertChar": termStr("a  bcd"), "backspace": termStr("Xb"),
		"wrap": termStr(strings.Repeat("x", 20) + "\n" + strings.Repeat("x", 5)), "scroll": termStr("1\n2\n3\n4\n5"),
		"clear": termStr("top"), "split": termStr("\n    *"), "osc": termStr("ok"), "colours": termStr("red!"),
		"ctrlC": termStr("\x03"), "up": termStr("\x1b[A"), "enter": termStr("\r"), "copy": nil,
	}
	for k, w := range want {
		g := got[k]
		if (g == nil) != (w == nil) || (g != nil && *g != *w) {
			t.Errorf("%s: got %q, want %q", k, termDeref(g), termDeref(w))
		}
	}
}

func termStr(s string) *string { return &s }

func termDeref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}
