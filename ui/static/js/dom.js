// DOM helpers. Every piece of text from the API goes in through
// document.createTextNode or textContent, never as markup, so that a job
// named "<img onerror=...>" stays a name.

// h builds an element: h("a", {href: "#/jobs", class: "x", onclick: fn}, "text", child, [more]).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// replace empties el and puts children in.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// badge shows a status as text (readable without colour); the class only
// adds a colour.
export function badge(status) {
  const s = String(status || "unknown");
  return h("span", { class: "badge s-" + s.replace(/[^a-z-]/g, "") }, s);
}

// table builds a table whose cells carry their column name, so that the
// phone layout can show label/value rows.
export function table(headers, rows, caption) {
  return h("div", { class: "table-wrap" },
    h("table", { class: "stack" },
      caption ? h("caption", { class: "note" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h("td", { "data-label": headers[i] }, c)))))));
}

export function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

// nanos formats unix nanoseconds (the API's times) as local time.
export function nanos(n) {
  if (!n) return "—";
  return new Date(Number(n) / 1e6).toLocaleString();
}

export function shortID(id) {
  return String(id || "").slice(0, 8);
}

let toastTimer;
// toast announces a result to everyone, screen readers included (the
// element is an aria-live region).
export function toast(msg) {
  const el = document.getElementById("toast");
  el.textContent = msg;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.textContent = ""; }, 6000);
}

export function errorBox(err) {
  return h("p", { class: "error", role: "alert" }, err && err.message ? err.message : String(err));
}

// actionButton runs fn on click, announces done when it succeeds and shows
// the error next to the button when it fails. The button is disabled while
// fn runs, so a double click sends one request; with once it stays
// disabled after a success (the page redraws with the new state).
export function actionButton(label, id, fn, done, { once = false } = {}) {
  const btn = h("button", { type: "button", id }, label);
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      await fn();
      toast(done);
      if (!once) btn.disabled = false;
    } catch (err) {
      btn.after(errorBox(err));
      btn.disabled = false;
    }
  });
  return btn;
}
