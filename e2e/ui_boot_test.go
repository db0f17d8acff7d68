package e2e

import (
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestUIScriptsFailToLoad: when one of the UI's modules never arrives, the
// page does not sit on "Loading…": after a while it says the UI did not
// start and offers a reload, which works once the file can be fetched.
// The test makes the browser refuse acl.js, one of main.js's imports.
func TestUIScriptsFailToLoad(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true})
	b := newBrowser(t, 1280, 900)
	block := func(patterns ...string) {
		t.Helper()
		var list []*network.BlockPattern
		for _, p := range patterns {
			list = append(list, &network.BlockPattern{URLPattern: p, Block: true})
		}
		if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatalf("enable the browser's network domain: %v", err)
		}
		if _, err := chromedp.Call(b.ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: list}); err != nil {
			t.Fatalf("block %v: %v", patterns, err)
		}
	}
	block("*://*:*/ui/js/acl.js")
	// Not b.open: that would reload the page by itself.
	b.step("open the UI with acl.js refused", chromedp.Navigate(a.addr+"/ui/#/jobs"))
	b.waitText("#boot-failed", "have not all loaded")
	b.waitText("h1", "The web UI did not start")
	var booted bool
	b.eval("check that main.js did not run", `document.documentElement.dataset.booted === "true"`, &booted)
	if booted {
		t.Fatal("main.js ran although one of its imports was refused")
	}

	block() // the file can be fetched again
	b.click("#boot-reload")
	if !b.booted(waitTimeout) {
		t.Fatal("the UI did not start after Reload with every file available")
	}
	b.waitText("h1", "Jobs")
	if b.exists("#boot-failed") {
		t.Error("the failure message is still shown after the UI started")
	}
}
