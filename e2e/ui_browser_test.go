package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The web UI's browser tests drive Debian's chromium through the DevTools
// protocol (chromedp). `make test` installs chromium with
// scripts/chromium/install.sh and passes its path in
// APPMESH_CHROMIUM_BIN; run alone, the tests look for chromium on PATH.

// chromiumBin returns the browser to drive, or skips with the way to get it.
func chromiumBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("APPMESH_CHROMIUM_BIN"); bin != "" {
		return bin
	}
	if bin, err := exec.LookPath("chromium"); err == nil {
		return bin
	}
	t.Skip("skipping the web UI browser test: chromium is not installed; run scripts/chromium/install.sh " +
		"(or `make test`, which does) or set APPMESH_CHROMIUM_BIN")
	return ""
}

// browser is one headless chromium with one tab, closed at the end of the
// test.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumBin(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	if os.Geteuid() == 0 {
		// Chromium refuses to start its sandbox as root (CI containers).
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser now, so that a broken install fails here with its
	// own error rather than in the first step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx}
}

// step runs actions; on failure it saves a screenshot and fails the test
// with what the step was doing.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// bootWait is how long open waits for the UI's modules to load and run
// before it reloads the page once.
const bootWait = 20 * time.Second

// open loads url and waits until the UI's scripts have run (main.js marks
// <html data-booted>). Headless chromium on a loaded CI machine once left
// two of main.js's imports unrequested, so that no script ran and the page
// said "Loading…" for a minute while the agent saw no request for them. A
// page whose scripts have not run after bootWait is logged with the files
// it did load and reloaded once; a second failure fails the test.
func (b *browser) open(what, url string) {
	b.t.Helper()
	b.step(what, chromedp.Navigate(url))
	if b.booted(bootWait) {
		return
	}
	var loaded []string
	b.eval("list what the page loaded", `performance.getEntriesByType("resource").map((e) => e.name.replace(location.origin, ""))`, &loaded)
	b.t.Logf("%s: the UI's scripts had not run after %s (loaded: %s); reloading once", what, bootWait, strings.Join(loaded, " "))
	b.step(what+" (reload)", chromedp.Reload())
	if !b.booted(waitTimeout) {
		b.fail(what, fmt.Errorf("the UI's scripts did not run within %s, nor within %s of a reload", bootWait, waitTimeout))
	}
}

// booted waits up to d for main.js to have run. A page that is being
// (re)loaded has no document to ask yet: that counts as not yet.
func (b *browser) booted(d time.Duration) bool {
	b.t.Helper()
	for deadline := time.Now().Add(d); ; time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement?.dataset.booted === "true"`))
		cancel()
		if err == nil && ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// fail saves a screenshot of the page in a directory that outlives the
// test (t.TempDir would be removed with it) and fails.
func (b *browser) fail(what string, err error) {
	b.t.Helper()
	b.t.Fatalf("UI step %q failed: %v\n%s", what, err, b.screenshot(what))
}

func (b *browser) screenshot(what string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG, not JPEG
	if err != nil {
		return "(no screenshot: " + err.Error() + ")"
	}
	dir, err := os.MkdirTemp("", "appmesh-ui-"+sanitize(b.t.Name())+"-")
	if err != nil {
		return "(no screenshot: " + err.Error() + ")"
	}
	path := filepath.Join(dir, sanitize(what)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "(no screenshot: " + err.Error() + ")"
	}
	return "screenshot of the page: " + path
}

// shot saves a picture of the page as DIR/name.png when
// APPMESH_UI_SCREENSHOTS=DIR is set (website/ui.md): the docs' pictures
// come from the same run that checks the pages.
func (b *browser) shot(name string) {
	b.t.Helper()
	dir := os.Getenv("APPMESH_UI_SCREENSHOTS")
	if dir == "" {
		return
	}
	// A passing toast ("Job submitted") would hide part of the page in the
	// docs: hide it for the picture only.
	toast := func(visibility string) {
		var ignored any
		b.eval("set the toast's visibility", fmt.Sprintf(`(() => { const t = document.querySelector("#toast"); if (t) t.style.visibility = %s })()`,
			jsString(visibility)), &ignored)
	}
	toast("hidden")
	defer toast("")
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.MkdirAll(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		b.t.Errorf("APPMESH_UI_SCREENSHOTS: save %s: %v", name, err)
	}
}

// eval runs a JavaScript expression and decodes its value into out (the
// page hands it over as JSON text).
func (b *browser) eval(what, expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string]("JSON.stringify(("+expr+") ?? null)"))
	if err != nil {
		b.fail(what, err)
	}
	if err := json.Unmarshal([]byte(text), out); err != nil {
		b.fail(what, fmt.Errorf("decode %.200q: %w", text, err))
	}
}

// text returns the text of the first element matching a CSS selector, or
// "" when there is none.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.eval("read "+sel, fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || ""`, jsString(sel)), &s)
	return s
}

// waitText waits until the element's text contains want (the page updates
// itself through blocking queries; the test only watches).
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	b.waitFor(fmt.Sprintf("%s to show %q", sel, want), func() (bool, string) {
		got := b.text(sel)
		return strings.Contains(got, want), got
	})
}

// waitFor polls cond (cheap DOM reads) until it holds or waitTimeout.
func (b *browser) waitFor(what string, cond func() (bool, string)) {
	b.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, seen := cond()
		if ok {
			return
		}
		last = seen
		time.Sleep(200 * time.Millisecond)
	}
	b.fail("wait for "+what, fmt.Errorf("timed out after %s; last seen: %.500q", waitTimeout, last))
}

// field returns the value the page's first label/value list gives for
// label ("" when it has no such label).
func (b *browser) field(label string) string {
	b.t.Helper()
	var s string
	b.eval("read "+label, fmt.Sprintf(`(() => { const dt = [...document.querySelectorAll("#main dl dt")].find((e) => e.textContent === %s);
		return dt && dt.nextElementSibling ? dt.nextElementSibling.textContent : "" })()`, jsString(label)), &s)
	return s
}

// exists reports whether a CSS selector matches an element now.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	var ok bool
	b.eval("look for "+sel, fmt.Sprintf(`document.querySelector(%s) !== null`, jsString(sel)), &ok)
	return ok
}

// click clicks the element (waiting until it is visible). Pages redraw a
// section when its data changes, so an element found a moment ago may be
// replaced before the click lands: the click is then tried again on the
// new element, as a person would click again.
func (b *browser) click(sel string) {
	b.t.Helper()
	var err error
	for try := 0; try < 5; try++ {
		ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "Could not find node") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.fail("click "+sel, err)
	}
}

// setValue puts a value in an input, select or textarea and fires the
// events a person's typing would.
func (b *browser) setValue(sel, value string) {
	b.t.Helper()
	var ok bool
	b.eval("set "+sel, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false;
		e.value = %s; e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`,
		jsString(sel), jsString(value)), &ok)
	if !ok {
		b.fail("set "+sel, fmt.Errorf("no element matches %s", sel))
	}
}

// goHash moves the single-page app to a #/ route.
func (b *browser) goHash(hash string) {
	b.t.Helper()
	var ignored any
	b.eval("go to "+hash, fmt.Sprintf(`location.hash = %s`, jsString(hash)), &ignored)
}

// tabTo presses Tab until the focused element matches sel, as a
// keyboard user would, and fails if it never does.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for i := 0; i < 60; i++ {
		var ok bool
		b.eval("check focus", fmt.Sprintf(`document.activeElement !== null && document.activeElement.matches(%s)`, jsString(sel)), &ok)
		if ok {
			return
		}
		b.step("press Tab", chromedp.KeyEvent("\t"))
	}
	b.fail("tab to "+sel, fmt.Errorf("60 presses of Tab never focused %s", sel))
}

// assertNamedControls checks that every link, button and form field of
// the page has a name a screen reader can announce: its text, an
// aria-label, or a <label>.
func (b *browser) assertNamedControls(page string) {
	b.t.Helper()
	var unnamed []string
	b.eval("check control names", `[...document.querySelectorAll("a, button, input, select, textarea")].filter((e) => {
		if (e.type === "hidden") return false;
		if ((e.textContent || "").trim() || e.getAttribute("aria-label") || e.getAttribute("aria-labelledby")) return false;
		if (e.labels && e.labels.length && [...e.labels].some((l) => l.textContent.trim())) return false;
		return true;
	}).map((e) => e.outerHTML.slice(0, 120))`, &unnamed)
	if len(unnamed) > 0 {
		b.t.Errorf("%s: controls without a name a screen reader can say: %q", page, unnamed)
	}
}

// phoneWidth is the width, in CSS pixels, of the narrowest common phone
// screen; every page must fit it (issue 17).
const phoneWidth = 375

// atPhoneWidth gives the tab a phone's viewport, whatever its window:
// headless chromium does not shrink a window below a minimum, so a small
// window alone would not prove the width.
func (b *browser) atPhoneWidth() {
	b.t.Helper()
	b.step("emulate a phone screen", chromedp.EmulateViewport(phoneWidth, 812))
	var w int
	b.eval("read the viewport width", `window.innerWidth`, &w)
	if w != phoneWidth {
		b.fail("emulate a phone screen", fmt.Errorf("the viewport is %d px wide, want %d", w, phoneWidth))
	}
}

// assertFits checks that the page is no wider than the viewport (nothing
// to scroll sideways) and that each control, scrolled to, lies wholly on
// screen. It names the outermost elements that stick out, to say what to
// fix.
func (b *browser) assertFits(page string, controls ...string) {
	b.t.Helper()
	if controls == nil {
		controls = []string{}
	}
	sels, _ := json.Marshal(controls)
	var r struct {
		Width    int      `json:"width"`
		Scroll   int      `json:"scroll"`
		Culprits []string `json:"culprits"`
		Off      []string `json:"off"`
	}
	b.eval("measure "+page, fmt.Sprintf(`(() => {
		const w = window.innerWidth, out = (e) => e.getBoundingClientRect().right > w + 1;
		const scroll = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
		const culprits = scroll > w + 1 ? [...document.querySelectorAll("body *")]
			.filter((e) => out(e) && !(e.parentElement && out(e.parentElement))).slice(0, 3).map((e) => e.outerHTML.slice(0, 160)) : [];
		const off = %s.filter((sel) => {
			const e = document.querySelector(sel);
			if (!e) return true;
			e.scrollIntoView({block: "center", inline: "nearest"});
			const r = e.getBoundingClientRect();
			return r.width === 0 || r.height === 0 || r.left < -1 || r.right > w + 1;
		});
		window.scrollTo(0, 0);
		return {width: w, scroll, culprits, off};
	})()`, sels), &r)
	if r.Scroll > r.Width+1 {
		b.t.Errorf("%s is %d px wide on a %d px screen; sticking out: %q\n%s", page, r.Scroll, r.Width, r.Culprits, b.screenshot(page))
	}
	if len(r.Off) > 0 {
		b.t.Errorf("%s at %d px: controls missing or not wholly on screen: %q\n%s", page, r.Width, r.Off, b.screenshot(page))
	}
}

func jsString(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}
