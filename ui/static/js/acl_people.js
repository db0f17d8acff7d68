// ACL roles and users (and the small helpers the ACL page's sections
// share): lists, and for a management token forms to create and change
// them, lock and unlock users, and delete either.
import { h, replace, table, errorBox, toast } from "./dom.js";
import { call, get, enc } from "./api.js";

// section draws a list with its title, an optional form under it, and
// reloads the list after every change.
export function section(id, title, signal, loadList, form) {
  const el = h("section", { id });
  const listEl = h("div", {}, h("p", {}, "Loading…"));
  replace(el, h("h2", {}, title), listEl, form ? form.el : null);
  const load = async () => {
    try {
      replace(listEl, await loadList());
    } catch (err) {
      if (!signal.aborted) replace(listEl, errorBox(err));
    }
  };
  if (form) form.onDone = load;
  return { el, load };
}

// field is a labelled text input.
export function field(id, text, attrs) {
  const input = h("input", Object.assign({ id, autocomplete: "off", spellcheck: "false", size: 18 }, attrs || {}));
  return { input, label: h("label", {}, text, input) };
}

// names splits "a, b ,c" into ["a", "b", "c"].
export function names(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

// confirmButton runs a destructive action on a second click (the first
// one says what will happen), then reloads.
export function confirmButton(text, confirmText, attrs, action, done, reload) {
  const btn = h("button", Object.assign({ type: "button", class: "danger" }, attrs), text);
  btn.addEventListener("click", async () => {
    if (btn.dataset.armed !== "1") {
      btn.dataset.armed = "1";
      btn.textContent = confirmText;
      return;
    }
    btn.disabled = true;
    try {
      await action();
      toast(done);
      await reload();
    } catch (err) {
      btn.replaceWith(errorBox(err));
    }
  });
  return btn;
}

export function roleSection(signal, manage) {
  const form = manage ? roleForm() : null;
  const s = section("acl-roles", "Roles", signal, async () => {
    const list = (await get("/v1/acl/roles", signal)) || [];
    if (!list.length) return h("p", { class: "note" }, "None.");
    return table(["Name", "Policies", "Description", ""], list.map((r) => [r.name, (r.policies || []).join(", ") || "—", r.description || "—",
      manage ? h("div", { class: "actions" },
        h("button", { type: "button", "data-role": r.name, onclick: () => form.edit(r) }, "Edit"),
        confirmButton("Delete", "Confirm: delete " + r.name, { "data-role-delete": r.name },
          () => call("DELETE", "/v1/acl/role/" + enc(r.id)), "Role deleted", () => s.load())) : ""]));
  }, form);
  return s;
}

function roleForm() {
  const name = field("role-name", "Name");
  const policies = field("role-policies", "Policies (comma-separated)");
  const description = field("role-description", "Description");
  const title = h("h3", {}, "New role");
  const result = h("div", { "aria-live": "polite" });
  let editing = null; // the role's ID when editing one
  const f = { el: null, onDone: null };
  f.edit = (r) => {
    editing = r.id;
    name.input.value = r.name;
    policies.input.value = (r.policies || []).join(", ");
    description.input.value = r.description || "";
    title.textContent = "Edit role " + r.name;
    name.input.focus();
  };
  f.el = h("form", { class: "acl-form", onsubmit: async (e) => {
    e.preventDefault();
    const body = { name: name.input.value.trim(), policies: names(policies.input.value), description: description.input.value.trim() };
    try {
      await call("PUT", editing ? "/v1/acl/role/" + enc(editing) : "/v1/acl/role", editing ? Object.assign({ id: editing }, body) : body);
      toast("Role " + body.name + " saved");
      replace(result);
      editing = null;
      title.textContent = "New role";
      name.input.value = policies.input.value = description.input.value = "";
      if (f.onDone) await f.onDone();
    } catch (err) {
      replace(result, errorBox(err));
    }
  } }, title, h("div", { class: "filters" }, name.label, policies.label, description.label,
    h("button", { type: "submit", id: "role-save", class: "primary" }, "Save role")), result);
  return f;
}

export function userSection(signal, manage) {
  const form = manage ? userForm() : null;
  const s = section("acl-users", "Users", signal, async () => {
    const list = (await get("/v1/acl/users", signal)) || [];
    if (!list.length) return h("p", { class: "note" }, "None.");
    const lock = (u) => {
      const verb = u.locked ? "unlock" : "lock";
      return h("button", { type: "button", "data-user-lock": u.name, onclick: async (e) => {
        e.target.disabled = true;
        try {
          await call("PUT", `/v1/acl/user/${enc(u.name)}/${verb}`, {});
          toast(`User ${u.name} ${verb}ed`);
          await s.load();
        } catch (err) {
          e.target.replaceWith(errorBox(err));
        }
      } }, u.locked ? "Unlock" : "Lock");
    };
    return table(["Name", "Type", "Status", "Roles", "Policies", ""], list.map((u) => [u.name, u.type || "—",
      u.locked ? "locked" : "active", (u.roles || []).join(", ") || "—", (u.policies || []).join(", ") || "—",
      manage ? h("div", { class: "actions" }, lock(u),
        confirmButton("Delete", "Confirm: delete " + u.name, { "data-user-delete": u.name },
          () => call("DELETE", "/v1/acl/user/" + enc(u.name)), "User deleted", () => s.load())) : ""]));
  }, form);
  return s;
}

// userForm creates a user with a password (the agent enforces its rules
// on length; a TOTP authenticator is enrolled with `appmesh acl user`).
function userForm() {
  const name = field("user-name", "Name");
  const password = field("user-password", "Password", { type: "password", autocomplete: "new-password" });
  const type = h("select", { id: "user-type" }, h("option", { value: "client" }, "client"), h("option", { value: "management" }, "management"));
  const roles = field("user-roles", "Roles (comma-separated)");
  const policies = field("user-policies", "Policies (comma-separated)");
  const result = h("div", { "aria-live": "polite" });
  const f = { el: null, onDone: null };
  f.el = h("form", { class: "acl-form", onsubmit: async (e) => {
    e.preventDefault();
    const body = { name: name.input.value.trim(), password: password.input.value, type: type.value,
      roles: names(roles.input.value), policies: names(policies.input.value) };
    try {
      await call("PUT", "/v1/acl/user", body);
      toast("User " + body.name + " created");
      replace(result);
      name.input.value = password.input.value = roles.input.value = policies.input.value = "";
      if (f.onDone) await f.onDone();
    } catch (err) {
      replace(result, errorBox(err));
    }
  } }, h("h3", {}, "New user"), h("div", { class: "filters" }, name.label, password.label, h("label", {}, "Type", type),
    roles.label, policies.label, h("button", { type: "submit", id: "user-create", class: "primary" }, "Create user")), result);
  return f;
}
