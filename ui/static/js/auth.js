// Who the user is and what their token may do. The token lives in
// sessionStorage (gone when the tab closes) unless the user ticks
// "remember me", which puts it in localStorage. It never goes in a URL.
import { h, replace, errorBox, toast } from "./dom.js";
import { call, get, APIError } from "./api.js";

const KEY = "appmesh-token";
// IDENTITY_TIMEOUT bounds the first call of every page load, so that an
// agent that does not answer gets an error page, not a blank one.
const IDENTITY_TIMEOUT = 20000;

export function getToken() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY) || "";
}

export function setToken(token, remember) {
  clearToken();
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

// identity is what the UI knows about the current token: aclEnabled
// (false: everything is allowed), self (the token, or null), and rules
// parsed from its policies (null when unknown: then every action is
// offered and the agent's 403 explains a refusal).
export const identity = { aclEnabled: null, self: null, management: false, rules: null };

export async function loadIdentity() {
  Object.assign(identity, { aclEnabled: null, self: null, management: false, rules: null });
  try {
    identity.self = await get("/v1/acl/token/self", AbortSignal.timeout(IDENTITY_TIMEOUT));
    identity.aclEnabled = true;
  } catch (err) {
    if (err instanceof APIError && /ACLs are disabled/i.test(err.message)) {
      identity.aclEnabled = false;
      return identity;
    }
    if (!(err instanceof APIError)) {
      throw new Error("Could not reach the agent to check your token: " + err.message);
    }
    identity.aclEnabled = true;
    return identity; // no token, or one the agent refused
  }
  identity.management = identity.self.type === "management";
  if (!identity.management) identity.rules = await loadRules(identity.self.policies || [], identity.self.roles || []);
  return identity;
}

// loadRules reads the token's policies (a token may read its own) and
// parses the common forms of their rules. Roles are not resolved: a token
// with roles gets null (unknown) and sees every action.
async function loadRules(policies, roles) {
  if (roles.length) return null;
  const rules = { namespaces: [], node: "", agent: "", operator: "" };
  try {
    for (const name of policies) {
      const p = await get("/v1/acl/policy/" + encodeURIComponent(name));
      if (!parseRules(p.rules || "", rules)) return null;
    }
  } catch (_) {
    return null;
  }
  return rules;
}

// parseRules adds the blocks of an HCL policy to rules; false when the text
// holds nothing it understands (JSON rules, say).
export function parseRules(text, rules) {
  const re = /\b(namespace|node|agent|operator)\s*(?:"([^"]*)")?\s*\{([^}]*)\}/g;
  let found = false;
  for (const m of text.matchAll(re)) {
    found = true;
    const policy = (/\bpolicy\s*=\s*"(\w+)"/.exec(m[3]) || [])[1] || "";
    const capsText = (/\bcapabilities\s*=\s*\[([^\]]*)\]/.exec(m[3]) || [])[1] || "";
    const caps = [...capsText.matchAll(/"([^"]+)"/g)].map((x) => x[1]);
    if (m[1] === "namespace") rules.namespaces.push({ name: m[2] || "default", policy, caps });
    else if (rank(policy) > rank(rules[m[1]]) || policy === "deny") rules[m[1]] = policy;
  }
  return found;
}

function rank(p) {
  return { deny: -1, "": 0, read: 1, write: 2 }[p] ?? 0;
}

const READ = ["list-jobs", "read-job"];
const WRITE = [...READ, "submit-job", "dispatch-job", "read-logs", "alloc-exec", "alloc-lifecycle", "run-command"];

function globMatch(glob, name) {
  const re = new RegExp("^" + glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$");
  return re.test(name);
}

// can reports whether the token may use a namespace capability. Unknown
// rules say yes: the agent still decides, and the UI shows its answer.
export function can(capability, namespace) {
  if (!identity.aclEnabled || identity.management) return true;
  if (!identity.self) return false;
  if (!identity.rules) return true;
  let granted = false;
  for (const r of identity.rules.namespaces) {
    if (!globMatch(r.name, namespace || "default")) continue;
    if (r.policy === "deny" || r.caps.includes("deny")) return false;
    const caps = [...(r.policy === "write" ? WRITE : r.policy === "read" ? READ : []), ...r.caps];
    if (caps.includes(capability)) granted = true;
  }
  return granted;
}

// canWrite reports whether the token may write node/agent/operator state.
export function canWrite(area) {
  if (!identity.aclEnabled || identity.management) return true;
  if (!identity.self) return false;
  if (!identity.rules) return true;
  return identity.rules[area] === "write";
}

// renderWho fills the header's corner: who is logged in and a way out.
export function renderWho(el) {
  if (identity.aclEnabled === false) return replace(el, h("span", { class: "note" }, "ACLs off"));
  if (!identity.self) return replace(el, h("a", { href: "#/login" }, "Log in"));
  const name = identity.self.name || identity.self.accessor_id.slice(0, 8);
  return replace(el,
    h("span", {}, "Token: ", h("strong", {}, name), identity.management ? " (management)" : ""),
    h("button", { type: "button", onclick: () => { clearToken(); location.hash = "#/login"; toast("Logged out"); } }, "Log out"));
}

// renderLogin shows the login page: an ACL token, or a user name and
// password (and a TOTP code when the user has one).
export function renderLogin(main, next) {
  const msg = h("div", { "aria-live": "polite" });
  const done = async (token, remember) => {
    setToken(token, remember);
    await loadIdentity();
    if (!identity.self) {
      clearToken();
      replace(msg, errorBox("The agent did not accept that token."));
      return;
    }
    toast("Logged in");
    location.hash = next || "#/";
  };
  const tokenForm = h("form", { "aria-labelledby": "login-token-h" },
    h("h2", { id: "login-token-h" }, "With an ACL token"),
    h("label", {}, "Secret ID", h("input", { id: "token", name: "token", type: "password", autocomplete: "off", required: true })),
    h("label", { class: "inline" }, h("input", { id: "remember", type: "checkbox" }), "Remember me on this browser"),
    h("button", { class: "primary", type: "submit" }, "Log in"));
  tokenForm.addEventListener("submit", (e) => {
    e.preventDefault();
    done(tokenForm.querySelector("#token").value.trim(), tokenForm.querySelector("#remember").checked)
      .catch((err) => replace(msg, errorBox(err)));
  });
  const userForm = h("form", { "aria-labelledby": "login-user-h" },
    h("h2", { id: "login-user-h" }, "With a user name and password"),
    h("label", {}, "User", h("input", { id: "username", autocomplete: "username", required: true })),
    h("label", {}, "Password", h("input", { id: "password", type: "password", autocomplete: "current-password", required: true })),
    h("label", {}, "One-time code (if enrolled)", h("input", { id: "totp", inputmode: "numeric", autocomplete: "one-time-code" })),
    h("label", { class: "inline" }, h("input", { id: "remember-user", type: "checkbox" }), "Remember me on this browser"),
    h("button", { class: "primary", type: "submit" }, "Log in"));
  userForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = (s) => userForm.querySelector(s).value;
    try {
      const body = { username: q("#username"), password: q("#password") };
      if (q("#totp").trim()) body.totp = q("#totp").trim();
      const r = await call("POST", "/v1/acl/login", body);
      await done(r.data.token, userForm.querySelector("#remember-user").checked);
    } catch (err) {
      // A refused login is about the name, password or code, not a token:
      // show the agent's own words rather than api.js's "your token".
      const said = err instanceof APIError && err.body && err.body.error;
      replace(msg, errorBox(said ? new Error("The agent refused the login: " + said) : err));
    }
  });
  replace(main, h("h1", {}, "Log in"), h("div", { class: "login" }, msg, tokenForm, userForm));
  tokenForm.querySelector("#token").focus();
}
