// Router: pages live in the URL fragment (#/jobs, #/job/default/web), so the
// agent serves one index.html and a reload or a shared link lands on the
// same page. Each page gets an AbortSignal that ends its blocking queries
// and log streams when the user leaves it.
import { h, replace, errorBox } from "./dom.js";
import { identity, loadIdentity, renderWho, renderLogin } from "./auth.js";
import { renderOverview } from "./overview.js";
import { renderJobs } from "./jobs.js";
import { renderJob } from "./job.js";
import { renderEditor } from "./editor.js";
import { renderAlloc } from "./alloc.js";
import { renderNodes, renderNode } from "./nodes.js";
import { renderACL } from "./acl.js";
import { renderRemoteRun } from "./remoterun.js";

const routes = [
  [/^\/$/, renderOverview, "overview"],
  [/^\/jobs$/, renderJobs, "jobs"],
  [/^\/run$/, renderEditor, "run"],
  [/^\/job\/([^/]+)\/(.+)\/edit$/, renderEditor, "jobs"],
  [/^\/job\/([^/]+)\/(.+)$/, renderJob, "jobs"],
  [/^\/alloc\/([^/]+)$/, renderAlloc, "jobs"],
  [/^\/nodes$/, renderNodes, "nodes"],
  [/^\/node\/([^/]+)$/, renderNode, "nodes"],
  [/^\/acl$/, renderACL, "acl"],
  [/^\/remote-run$/, renderRemoteRun, "remote-run"],
];

let current = null;

async function navigate() {
  if (current) current.abort();
  current = new AbortController();
  const signal = current.signal;
  const main = document.getElementById("main");
  const raw = location.hash.startsWith("#/") ? location.hash.slice(1) : "/";
  const [path, query] = raw.split("?");
  const params = new URLSearchParams(query || "");
  if (identity.aclEnabled === null) {
    try {
      await loadIdentity();
    } catch (err) {
      // No answer from the agent: say so and offer a retry instead of
      // leaving "Loading…" up.
      identity.aclEnabled = null;
      replace(main, h("h1", {}, "The agent does not answer"), errorBox(err),
        h("p", {}, h("button", { type: "button", onclick: () => navigate() }, "Try again")));
      return;
    }
  }
  renderWho(document.getElementById("who"));
  if (path === "/login") return renderLogin(main, params.get("next"));
  if (identity.aclEnabled && !identity.self) {
    location.hash = "#/login?next=" + encodeURIComponent("#" + raw);
    return;
  }
  for (const [re, render, nav] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    markNav(nav);
    const args = m.slice(1).map(decodeURIComponent);
    try {
      await render(main, args, params, signal);
    } catch (err) {
      if (!signal.aborted) replace(main, h("h1", {}, "Something went wrong"), errorBox(err));
    }
    return;
  }
  replace(main, h("h1", {}, "Not found"), h("p", {}, "No page at ", h("code", {}, raw), ". ", h("a", { href: "#/" }, "Back to the overview")));
}

function markNav(nav) {
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

window.addEventListener("hashchange", async () => {
  // A login or logout changes what may be shown: read the token again.
  if (location.hash.startsWith("#/login")) identity.aclEnabled = null;
  await navigate();
  document.getElementById("main").focus({ preventScroll: true });
});
// Every module has loaded and run: say so on the page (the browser tests
// wait for it before they look at a page).
document.documentElement.dataset.booted = "true";
navigate();
