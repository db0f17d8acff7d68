// Job detail: its definition, groups and allocations, live; actions to
// edit (plan, then run) and stop, offered only when the token may use them.
import { h, replace, badge, table, kv, nanos, shortID, errorBox, toast } from "./dom.js";
import { call, watch } from "./api.js";
import { can } from "./auth.js";
import { watchVersions } from "./versions.js";
import { watchSchedules } from "./schedules.js";

export function jobPath(ns, id, sub) {
  return "/v1/job/" + encodeURIComponent(id) + (sub ? "/" + sub : "") + "?namespace=" + encodeURIComponent(ns);
}

export async function renderJob(main, [ns, id], _params, signal) {
  const head = h("div", {}, h("p", {}, "Loading…"));
  const allocs = h("section", { "aria-labelledby": "job-allocs" }, h("h2", { id: "job-allocs" }, "Allocations"));
  const versions = h("section", { "aria-labelledby": "job-versions", id: "versions" });
  const launches = h("section", { "aria-labelledby": "job-launches", id: "launches" });
  replace(main, h("h1", {}, "Job ", h("span", { class: "mono" }, id)), head, launches, allocs, versions);
  let scheduled = false;
  watch(jobPath(ns, id), signal, (job) => {
    drawJob(head, job);
    if (!scheduled) {
      scheduled = true;
      watchSchedules(launches, job, signal);
    }
  }, (err) => replace(head, errorBox(err)));
  watchVersions(versions, ns, id, signal);
  await watch(jobPath(ns, id, "allocations"), signal, (list) => drawAllocs(allocs, list), (err) => replace(allocs, errorBox(err)));
}

function drawJob(el, job) {
  const actions = h("div", { class: "actions" });
  if (can("submit-job", job.namespace)) {
    actions.append(h("a", { href: "#/job/" + encodeURIComponent(job.namespace) + "/" + encodeURIComponent(job.id) + "/edit" }, "Edit, plan and run"));
    if (!job.stop) actions.append(stopButton(job));
  }
  const groups = (job.groups || []).map((g) => [
    g.name, String(g.count ?? 1),
    (g.tasks || []).map((t) => `${t.name} (${t.driver}, ${(t.resources && t.resources.cpu) || 0} MHz, ${(t.resources && t.resources.memory) || 0} MB)`).join("; "),
  ]);
  replace(el,
    kv([["Namespace", job.namespace], ["Type", job.type], ["Status", badge(job.stop ? "stop" : job.status)],
      ["Version", String(job.version)], ["Priority", String(job.priority)], ["Submitted", nanos(job.submit_time)],
      job.status_description ? ["Description", job.status_description] : null].filter(Boolean)),
    actions,
    h("h2", {}, "Groups"), table(["Group", "Count", "Tasks"], groups));
}

// armedStop is the job whose Stop button was clicked once: kept outside
// the button, because a live update redraws the button between the two
// clicks.
let armedStop = null;

// stopButton asks for a second click before it deregisters the job.
function stopButton(job) {
  const key = job.namespace + "/" + job.id;
  const btn = h("button", { type: "button", class: "danger", id: "stop-job" }, "Stop job");
  if (armedStop === key) btn.textContent = "Confirm: stop job " + job.id;
  btn.addEventListener("click", async () => {
    if (armedStop !== key) {
      armedStop = key;
      btn.textContent = "Confirm: stop job " + job.id;
      return;
    }
    armedStop = null;
    btn.disabled = true;
    try {
      await call("DELETE", jobPath(job.namespace, job.id));
      toast("Job " + job.id + " stopped");
    } catch (err) {
      btn.replaceWith(errorBox(err));
    }
  });
  return btn;
}

// PAGE is how many allocation rows the page builds at once: a job of
// thousands of allocations still renders in a few milliseconds, and the
// counts above the table cover them all.
const PAGE = 100;

function drawAllocs(el, list) {
  const t0 = performance.now();
  list.sort((a, b) => (b.create_index || 0) - (a.create_index || 0));
  const counts = {};
  for (const a of list) counts[a.client_status] = (counts[a.client_status] || 0) + 1;
  const pages = Math.max(1, Math.ceil(list.length / PAGE));
  let page = Math.min(Number(el.dataset.page || 0), pages - 1);
  const holder = h("div");
  const showPage = () => {
    el.dataset.page = String(page);
    const slice = list.slice(page * PAGE, (page + 1) * PAGE);
    const rows = slice.map((a) => {
      const states = Object.entries(a.task_states || {});
      return [
        h("a", { href: "#/alloc/" + encodeURIComponent(a.id) }, shortID(a.id)),
        a.name, a.node_name || shortID(a.node_id), badge(a.client_status), a.desired_status,
        states.map(([t, s]) => `${t}: ${s.state}`).join(", ") || "—",
        String(states.reduce((n, [, s]) => n + (s.restarts || 0), 0)),
      ];
    });
    const nav = pages > 1 ? h("nav", { class: "actions", "aria-label": "Allocation pages" },
      h("button", { type: "button", id: "allocs-prev", disabled: page === 0, onclick: () => { page--; showPage(); } }, "Previous"),
      h("span", { id: "allocs-range" }, `Rows ${page * PAGE + 1}–${page * PAGE + slice.length} of ${list.length}`),
      h("button", { type: "button", id: "allocs-next", disabled: page >= pages - 1, onclick: () => { page++; showPage(); } }, "Next")) : null;
    replace(holder, nav, list.length ? table(["ID", "Name", "Node", "Status", "Desired", "Tasks", "Restarts"], rows) : null);
  };
  showPage();
  replace(el, h("h2", { id: "job-allocs" }, `Allocations (${list.length})`),
    h("p", { id: "alloc-counts" }, Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ") || "none"),
    holder);
  void el.offsetHeight; // include layout in the measured time
  el.dataset.renderMs = (performance.now() - t0).toFixed(1);
}
