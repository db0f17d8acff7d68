// Jobs list with filters by namespace, status and type; the filters live
// in the URL so a filtered view can be bookmarked.
import { h, replace, badge, table, errorBox } from "./dom.js";
import { get, watch } from "./api.js";
import { can } from "./auth.js";

const STATUSES = ["", "pending", "running", "dead"];
const TYPES = ["", "service", "batch", "system", "sysbatch"];

export async function renderJobs(main, _args, params, signal) {
  const ns = params.get("namespace") || "*";
  const status = params.get("status") || "";
  const type = params.get("type") || "";
  let namespaces = ["default"];
  try {
    namespaces = (await get("/v1/namespaces", signal)).map((n) => n.name);
  } catch (_) { /* a token without namespace rights still sees "default" */ }
  // The user may have left while the namespaces were read (the abort
  // lands in the catch above): do not draw over the next page.
  if (signal.aborted) return;
  const select = (id, label, options, value) => h("label", {}, label,
    h("select", { id, name: id }, options.map((o) => h("option", { value: o, selected: o === value }, o || "any"))));
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter jobs" },
    select("f-namespace", "Namespace", ["*", ...namespaces], ns),
    select("f-status", "Status", STATUSES, status),
    select("f-type", "Type", TYPES, type));
  filters.addEventListener("change", () => {
    const q = new URLSearchParams();
    const v = (id) => filters.querySelector("#" + id).value;
    if (v("f-namespace") !== "*") q.set("namespace", v("f-namespace"));
    if (v("f-status")) q.set("status", v("f-status"));
    if (v("f-type")) q.set("type", v("f-type"));
    location.hash = "#/jobs" + (q.toString() ? "?" + q : "");
  });
  const list = h("div", { "aria-live": "polite" }, h("p", {}, "Loading…"));
  replace(main, h("h1", {}, "Jobs"),
    can("submit-job", ns === "*" ? "default" : ns) ? h("div", { class: "actions" }, h("a", { href: "#/run" }, "Run a new job")) : null,
    filters, list);
  await watch("/v1/jobs?namespace=" + encodeURIComponent(ns), signal, (jobs) => {
    const shown = jobs.filter((j) => (!status || j.status === status) && (!type || j.type === type));
    const rows = shown.map((j) => {
      const s = Object.values(j.summary || {}).reduce((acc, g) => {
        for (const k of ["running", "starting", "queued", "failed", "complete", "lost"]) acc[k] = (acc[k] || 0) + (g[k] || 0);
        return acc;
      }, {});
      return [
        h("a", { href: "#/job/" + encodeURIComponent(j.namespace) + "/" + encodeURIComponent(j.id) }, j.id),
        j.namespace, j.type, badge(j.stop ? "stop" : j.status),
        `${s.running || 0} running, ${(s.starting || 0) + (s.queued || 0)} pending, ${s.failed || 0} failed, ${s.complete || 0} complete`,
        String(j.version),
      ];
    });
    replace(list, rows.length ? table(["Job", "Namespace", "Type", "Status", "Allocations", "Version"], rows)
      : h("p", { class: "note" }, jobs.length ? "No job matches these filters." : "No jobs yet. Run one from “Run a new job”."));
  }, (err) => replace(list, errorBox(err)));
}
