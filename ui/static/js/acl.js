// ACL: the tokens, policies, roles and users the token may list, and,
// for a management token (the only kind the agent lets change them),
// forms to create, edit and delete them. Each list is read on its own: a
// token that may read some of them sees those, and a clear note for the
// others.
import { h, replace, table, errorBox, toast, shortID } from "./dom.js";
import { call, get, enc } from "./api.js";
import { identity } from "./auth.js";
import { attachCodeArea } from "./codearea.js";
import { section, roleSection, userSection, confirmButton, names, field } from "./acl_people.js";

export async function renderACL(main, _args, _params, signal) {
  if (identity.aclEnabled === false) {
    replace(main, h("h1", {}, "Access control"), h("p", {}, "ACLs are off on this agent: every request is allowed. Start the agents with ",
      h("code", {}, "acl { enabled = true }"), " to use tokens and policies."));
    return;
  }
  const manage = identity.management;
  const sections = [
    tokenSection(signal, manage), policySection(signal, manage), roleSection(signal, manage), userSection(signal, manage),
  ];
  replace(main, h("h1", {}, "Access control"),
    manage ? null : h("p", { class: "note", id: "acl-readonly" }, "Creating, changing and deleting tokens, policies, roles and users needs a management token."),
    sections.map((s) => s.el));
  await Promise.all(sections.map((s) => s.load()));
}

function tokenSection(signal, manage) {
  const form = manage ? tokenForm() : null;
  const s = section("acl-tokens", "Tokens", signal, async () => {
    const list = (await get("/v1/acl/tokens", signal)) || [];
    if (!list.length) return h("p", { class: "note" }, "None.");
    return table(["Name", "Accessor", "Type", "Policies", "Roles", ""], list.map((t) => [
      t.name || "—", h("span", { class: "mono" }, shortID(t.accessor_id)), t.type, (t.policies || []).join(", ") || "—",
      (t.roles || []).join(", ") || "—",
      manage && t.accessor_id !== identity.self.accessor_id
        ? confirmButton("Revoke", "Confirm: revoke " + (t.name || shortID(t.accessor_id)), { "data-accessor": t.accessor_id },
          () => call("DELETE", "/v1/acl/token/" + enc(t.accessor_id)), "Token revoked", () => s.load())
        : ""]));
  }, form);
  return s;
}

// tokenForm creates a token and shows its secret once: the agent never
// shows it again.
function tokenForm() {
  const name = field("new-token-name", "Name");
  const type = h("select", { id: "new-token-type" }, h("option", { value: "client" }, "client"), h("option", { value: "management" }, "management"));
  const policies = field("new-token-policies", "Policies (comma-separated)");
  const roles = field("new-token-roles", "Roles (comma-separated)");
  const result = h("div", { id: "new-token-result", "aria-live": "polite" });
  const f = { el: null, onDone: null };
  f.el = h("form", { class: "acl-form", onsubmit: async (e) => {
    e.preventDefault();
    const body = { name: name.input.value.trim(), type: type.value };
    if (type.value === "client") Object.assign(body, { policies: names(policies.input.value), roles: names(roles.input.value) });
    try {
      const t = (await call("PUT", "/v1/acl/token", body)).data;
      replace(result, h("div", { class: "secret" },
        h("p", {}, "Token ", h("strong", {}, t.name || shortID(t.accessor_id)), " created. Copy its secret now: it is not shown again."),
        h("label", {}, "Secret ID", h("input", { id: "new-token-secret", readonly: true, value: t.secret_id, size: 40, class: "mono" }))));
      name.input.value = policies.input.value = roles.input.value = "";
      toast("Token created");
      if (f.onDone) await f.onDone();
    } catch (err) {
      replace(result, errorBox(err));
    }
  } }, h("h3", {}, "New token"), h("div", { class: "filters" }, name.label, h("label", {}, "Type", type), policies.label, roles.label,
    h("button", { type: "submit", id: "new-token-create", class: "primary" }, "Create token")), result);
  return f;
}

function policySection(signal, manage) {
  const form = manage ? policyForm() : null;
  const s = section("acl-policies", "Policies", signal, async () => {
    const list = (await get("/v1/acl/policies", signal)) || [];
    if (!list.length) return h("p", { class: "note" }, "None.");
    return table(["Name", "Description", ""], list.map((p) => [p.name, p.description || "—", manage ? h("div", { class: "actions" },
      h("button", { type: "button", "data-policy": p.name, onclick: () => form.edit(p.name) }, "Edit"),
      confirmButton("Delete", "Confirm: delete " + p.name, { "data-policy-delete": p.name },
        () => call("DELETE", "/v1/acl/policy/" + enc(p.name)), "Policy deleted", () => s.load())) : ""]));
  }, form);
  return s;
}

const POLICY_EXAMPLE = `namespace "default" {
  policy = "read"
}
`;

// policyForm writes a policy: its name, description and HCL rules (the
// agent parses them and names the line of a mistake).
function policyForm() {
  const name = field("policy-name", "Name");
  const description = field("policy-description", "Description");
  const rules = h("textarea", { id: "policy-rules", class: "editor small", spellcheck: "false", autocomplete: "off", wrap: "off" });
  rules.value = POLICY_EXAMPLE;
  const code = attachCodeArea(rules);
  const title = h("h3", {}, "New policy");
  const result = h("div", { "aria-live": "polite" });
  const f = { el: null, onDone: null };
  f.edit = async (policyName) => {
    try {
      const p = await get("/v1/acl/policy/" + enc(policyName));
      name.input.value = p.name;
      description.input.value = p.description || "";
      rules.value = p.rules || "";
      rules.dispatchEvent(new Event("input"));
      title.textContent = "Edit policy " + p.name;
      replace(result);
      rules.focus();
    } catch (err) {
      replace(result, errorBox(err));
    }
  };
  f.el = h("form", { class: "acl-form", onsubmit: async (e) => {
    e.preventDefault();
    const n = name.input.value.trim();
    try {
      await call("PUT", "/v1/acl/policy/" + enc(n), { name: n, description: description.input.value.trim(), rules: rules.value });
      toast("Policy " + n + " saved");
      replace(result, h("p", { id: "policy-saved" }, "Policy " + n + " saved."));
      code.mark([]);
      if (f.onDone) await f.onDone();
    } catch (err) {
      // The agent names the line of a bad rule ("line 2: ..."): mark it.
      const m = /\bline (\d+)/.exec(err.message);
      code.mark(m ? [Number(m[1])] : []);
      replace(result, errorBox(err));
    }
  } }, title, h("div", { class: "filters" }, name.label, description.label),
  h("label", { for: "policy-rules" }, "Rules (HCL; Tab indents, Escape then Tab leaves)"), code.element,
  h("div", { class: "actions" }, h("button", { type: "submit", id: "policy-save", class: "primary" }, "Save policy")), result);
  return f;
}
