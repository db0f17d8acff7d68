// ACL: the tokens, policies, roles and users the token may list, and
// revoking a token. Each list is read on its own: a token that may read
// some of them sees those, and a clear note for the others.
import { h, replace, table, errorBox, toast, shortID } from "./dom.js";
import { call, get } from "./api.js";
import { identity } from "./auth.js";

export async function renderACL(main, _args, _params, signal) {
  if (identity.aclEnabled === false) {
    replace(main, h("h1", {}, "Access control"), h("p", {}, "ACLs are off on this agent: every request is allowed. Start the agents with ",
      h("code", {}, "acl { enabled = true }"), " to use tokens and policies."));
    return;
  }
  const sections = {
    tokens: h("section", { id: "acl-tokens" }), policies: h("section", { id: "acl-policies" }),
    roles: h("section", { id: "acl-roles" }), users: h("section", { id: "acl-users" }),
  };
  replace(main, h("h1", {}, "Access control"), Object.values(sections));
  const load = async (key, title, path, headers, row) => {
    const el = sections[key];
    replace(el, h("h2", {}, title), h("p", {}, "Loading…"));
    try {
      const list = (await get(path, signal)) || [];
      replace(el, h("h2", {}, title), list.length ? table(headers, list.map(row)) : h("p", { class: "note" }, "None."));
    } catch (err) {
      if (!signal.aborted) replace(el, h("h2", {}, title), errorBox(err));
    }
  };
  await Promise.all([
    load("tokens", "Tokens", "/v1/acl/tokens", ["Name", "Accessor", "Type", "Policies", "Roles", ""], (t) => [
      t.name || "—", h("span", { class: "mono" }, shortID(t.accessor_id)), t.type, (t.policies || []).join(", ") || "—",
      (t.roles || []).join(", ") || "—", identity.management && t.accessor_id !== identity.self.accessor_id ? revoke(t) : ""]),
    load("policies", "Policies", "/v1/acl/policies", ["Name", "Description"], (p) => [p.name, p.description || "—"]),
    load("roles", "Roles", "/v1/acl/roles", ["Name", "Policies", "Description"], (r) => [r.name, (r.policies || []).join(", ") || "—", r.description || "—"]),
    load("users", "Users", "/v1/acl/users", ["Name", "Type", "Roles", "Policies"], (u) => [u.name, u.type || "—",
      (u.roles || []).join(", ") || "—", (u.policies || []).join(", ") || "—"]),
  ]);
}

// revoke deletes a token after a second click.
function revoke(t) {
  const btn = h("button", { type: "button", class: "danger", "data-accessor": t.accessor_id }, "Revoke");
  btn.addEventListener("click", async () => {
    if (btn.dataset.armed !== "1") {
      btn.dataset.armed = "1";
      btn.textContent = "Confirm: revoke " + (t.name || shortID(t.accessor_id));
      return;
    }
    btn.disabled = true;
    try {
      await call("DELETE", "/v1/acl/token/" + encodeURIComponent(t.accessor_id));
      toast("Token revoked");
      btn.closest("tr").remove();
    } catch (err) {
      btn.replaceWith(errorBox(err));
    }
  });
  return btn;
}
