package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TestUILoginUserTOTP: issue 17's second way in. A user with a password
// and an enrolled authenticator logs in on the UI's form: without the
// one-time code and with a wrong one the page shows the agent's refusal;
// with the right code and "remember me" the token is kept in
// localStorage only (and never in the address), survives a reload, and
// Log out forgets it.
func TestUILoginUserTOTP(t *testing.T) {
	a := startAgent(t, agentOptions{dev: true, acl: true})
	const user, password = "tereza", "a long password for the web UI"
	if r := a.putJSON("/v1/acl/policy/ui-reader", map[string]string{"rules": `namespace "default" { policy = "read" }`}); r.status != http.StatusOK {
		t.Fatalf("create policy: %d %s", r.status, r.body)
	}
	if r := a.putJSON("/v1/acl/user", map[string]any{"name": user, "type": "client", "password": password,
		"policies": []string{"ui-reader"}}); r.status != http.StatusOK {
		t.Fatalf("create user: %d %s", r.status, r.body)
	}
	var enrol struct {
		Secret string `json:"secret"`
	}
	r := a.putJSON("/v1/acl/user/"+user+"/totp/enroll", nil)
	if r.status != http.StatusOK || json.Unmarshal(r.body, &enrol) != nil || enrol.Secret == "" {
		t.Fatalf("enrol TOTP: %d %s", r.status, r.body)
	}
	// Every code works once: the confirmation takes the previous step's
	// code (still accepted) and the login the current one. Near the end of
	// a step, wait for the next so that the current code stays valid while
	// the browser types it.
	for time.Now().Unix()%30 > 15 {
		time.Sleep(time.Second)
	}
	now := time.Now()
	opts := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	prev, err1 := totp.GenerateCodeCustom(enrol.Secret, now.Add(-30*time.Second), opts)
	cur, err2 := totp.GenerateCodeCustom(enrol.Secret, now, opts)
	if err1 != nil || err2 != nil {
		t.Fatalf("TOTP codes: %v %v", err1, err2)
	}
	if r := a.putJSON("/v1/acl/user/"+user+"/totp/confirm", map[string]string{"code": prev}); r.status != http.StatusOK {
		t.Fatalf("confirm TOTP: %d %s", r.status, r.body)
	}
	wrong := "000000"
	if cur == wrong {
		wrong = "111111"
	}

	b := newBrowser(t, 1280, 900)
	b.open("open the UI", a.addr+"/ui/#/jobs")
	b.waitText("h1", "Log in")
	b.shot("login")
	userForm := `form[aria-labelledby="login-user-h"]`
	login := func(code string, remember bool) {
		b.setValue("#username", user)
		b.setValue("#password", password)
		b.setValue("#totp", code)
		var ok bool
		b.eval("set remember me", `(() => { document.querySelector("#remember-user").checked = `+
			map[bool]string{true: "true", false: "false"}[remember]+`; return true })()`, &ok)
		b.click(userForm + ` button[type=submit]`)
	}
	refused := func(want string) {
		b.waitText("#main [role=alert]", want)
		if got := b.text("#main [role=alert]"); !strings.HasPrefix(got, "The agent refused the login: ") {
			t.Errorf("a refused login says %q, want the agent's refusal of the login (not of a token)", got)
		}
	}
	login("", false)
	refused("TOTP")
	login(wrong, false)
	refused("wrong or expired TOTP code")
	if got := b.text("h1"); got != "Log in" {
		t.Fatalf("after a refused login the page is %q, want Log in", got)
	}

	login(cur, true)
	b.waitText("h1", "Jobs") // back where the user was going
	b.waitText("#who", "Log out")
	var stored struct{ Session, Local, Href string }
	readStorage := func() {
		b.eval("read storage", `({Session: sessionStorage.getItem("appmesh-token") || "", Local: localStorage.getItem("appmesh-token") || "", Href: location.href})`, &stored)
	}
	readStorage()
	if stored.Local == "" || stored.Session != "" {
		t.Errorf("with remember-me the token must be in localStorage only: session %d bytes, local %d bytes", len(stored.Session), len(stored.Local))
	}
	if stored.Local != "" && strings.Contains(stored.Href, stored.Local) {
		t.Errorf("the token is in the address: %s", stored.Href)
	}
	// A read policy: the user sees no "Run a new job".
	if b.exists(`#main .actions a[href="#/run"]`) {
		t.Errorf("a user with a read policy is offered \"Run a new job\"")
	}

	// Remembered: a reload (a new page load, no login) keeps the user in.
	b.step("reload", chromedp.Reload())
	b.waitText("h1", "Jobs")
	b.waitText("#who", "Log out")

	b.click("#who button")
	b.waitText("h1", "Log in")
	readStorage()
	if stored.Local != "" || stored.Session != "" {
		t.Errorf("Log out left a token in the browser: session %d bytes, local %d bytes", len(stored.Session), len(stored.Local))
	}
}
