// Job versions: what changed between each version and the one before it,
// and a revert to any earlier version.
import { h, replace, nanos, errorBox, toast } from "./dom.js";
import { call, watch } from "./api.js";
import { can } from "./auth.js";
import { jobPath } from "./job.js";

// Fields that change with every registration and say nothing about the job.
const NOISE = new Set(["version", "submit_time", "create_index", "modify_index", "job_modify_index", "last_register",
  "status", "status_description", "stable"]);

export function watchVersions(el, ns, id, signal) {
  return watch(jobPath(ns, id, "versions"), signal, (out) => drawVersions(el, out.versions || []),
    (err) => replace(el, h("h2", {}, "Versions"), errorBox(err)));
}

function drawVersions(el, versions) {
  versions.sort((a, b) => b.version - a.version);
  const current = versions.length ? versions[0].version : 0;
  const items = versions.map((v, i) => {
    const older = versions[i + 1];
    const changes = older ? diff(flatten(older), flatten(v)) : [];
    const head = h("div", {}, h("strong", {}, "Version " + v.version), " · ", nanos(v.submit_time),
      v.version === current ? " · current" : null, v.stable ? " · stable" : null);
    const body = older
      ? (changes.length ? h("pre", { class: "plan" }, changes.join("\n")) : h("p", { class: "note" }, "No change to the job from version " + older.version + "."))
      : h("p", { class: "note" }, "First version.");
    const revert = v.version !== current && can("submit-job", v.namespace)
      ? revertButton(v.namespace, v.id, v.version, current) : null;
    return h("li", { "data-version": v.version }, head, body, revert);
  });
  replace(el, h("h2", { id: "job-versions" }, "Versions"),
    items.length ? h("ul", { class: "versions" }, items) : h("p", { class: "note" }, "No versions."));
}

function revertButton(ns, id, version, current) {
  const btn = h("button", { type: "button", class: "revert", "data-version": version }, "Revert to version " + version);
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    try {
      // enforce_prior_version: refuse if someone registered a newer
      // version since this page showed it.
      await call("PUT", jobPath(ns, id, "revert"), { job_id: id, version, enforce_prior_version: current });
      toast("Reverted " + id + " to version " + version);
    } catch (err) {
      btn.after(errorBox(err));
      btn.disabled = false;
    }
  });
  return btn;
}

// flatten turns a job into path → JSON value lines, for a line diff.
export function flatten(v, prefix = "", out = new Map()) {
  if (v && typeof v === "object") {
    const entries = Array.isArray(v) ? v.map((x, i) => [x && x.name ? x.name : String(i), x]) : Object.entries(v);
    for (const [k, x] of entries) {
      if (!prefix && NOISE.has(k)) continue;
      flatten(x, prefix ? prefix + (Array.isArray(v) ? "[" + k + "]" : "." + k) : k, out);
    }
    if (!entries.length && prefix) out.set(prefix, Array.isArray(v) ? "[]" : "{}");
  } else if (prefix) {
    out.set(prefix, JSON.stringify(v));
  }
  return out;
}

export function diff(a, b) {
  const lines = [];
  for (const [k, v] of b) {
    if (!a.has(k)) lines.push(`+ ${k}: ${v}`);
    else if (a.get(k) !== v) lines.push(`~ ${k}: ${a.get(k)} → ${v}`);
  }
  for (const [k, v] of a) if (!b.has(k)) lines.push(`- ${k}: ${v}`);
  return lines.sort((x, y) => x.slice(2).localeCompare(y.slice(2)));
}
