// Job editor: the job as JSON (the body PUT /v1/jobs takes), then "Plan"
// shows what the scheduler would do, then "Run" submits exactly the
// planned version (enforce_index: a change by someone else in between is
// refused instead of overwritten).
import { h, replace, errorBox, toast } from "./dom.js";
import { call, get } from "./api.js";
import { jobPath } from "./job.js";

const EXAMPLE = {
  job: {
    id: "hello", namespace: "default", type: "service",
    groups: [{
      name: "web", count: 1,
      tasks: [{
        name: "server", driver: "exec",
        config: { command: "/bin/sh", args: ["-c", "echo hello from appmesh; while true; do date; sleep 5; done"] },
        resources: { cpu: 100, memory: 64 },
      }],
    }],
  },
};

// Fields the agent sets itself; sending them back would only confuse.
const READ_ONLY = ["status", "status_description", "version", "submit_time", "create_index", "modify_index",
  "job_modify_index", "last_register", "stable"];

export async function renderEditor(main, [ns, id], _params, signal) {
  let body = EXAMPLE;
  if (id) {
    const job = await get(jobPath(ns, id), signal);
    for (const k of READ_ONLY) delete job[k];
    body = { job };
  }
  const area = h("textarea", { id: "job-editor", class: "editor", spellcheck: "false", "aria-describedby": "editor-help" });
  area.value = JSON.stringify(body, null, 2);
  const out = h("div", { id: "plan-output", "aria-live": "polite" });
  const planBtn = h("button", { type: "button", id: "plan-job" }, "Plan");
  const runBtn = h("button", { type: "button", id: "run-job", class: "primary", disabled: true }, "Run");
  let planned = null; // {text, index} of the last successful plan
  area.addEventListener("input", () => { runBtn.disabled = !planned || planned.text !== area.value; });

  planBtn.addEventListener("click", async () => {
    planned = null;
    runBtn.disabled = true;
    let req;
    try {
      req = parseJob(area.value);
      replace(out, h("p", {}, "Planning…"));
      const r = await call("PUT", jobPath(req.job.namespace || "default", req.job.id, "plan"), { job: req.job, diff: true });
      planned = { text: area.value, index: r.data.job_modify_index };
      replace(out, drawPlan(r.data));
      runBtn.disabled = false;
      runBtn.focus();
    } catch (err) {
      replace(out, errorBox(err));
    }
  });
  runBtn.addEventListener("click", async () => {
    runBtn.disabled = true;
    try {
      const req = parseJob(area.value);
      await call("PUT", "/v1/jobs", { job: req.job, enforce_index: true, job_modify_index: planned.index });
      toast("Job " + req.job.id + " submitted");
      location.hash = "#/job/" + encodeURIComponent(req.job.namespace || "default") + "/" + encodeURIComponent(req.job.id);
    } catch (err) {
      replace(out, errorBox(err));
    }
  });
  replace(main, h("h1", {}, id ? "Edit job " + id : "Run a job"),
    h("p", { id: "editor-help", class: "note" },
      "The job in JSON, as PUT /v1/jobs takes it ({\"job\": {...}}; keys as in the HCL job spec). ",
      "Plan first: Run submits the version you planned."),
    h("label", { for: "job-editor" }, "Job definition"), area,
    h("div", { class: "actions" }, planBtn, runBtn), out);
}

// parseJob reads the editor's text, with a message that says where the
// JSON is wrong.
function parseJob(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error("The job is not valid JSON: " + err.message);
  }
  if (v && typeof v === "object" && !v.job && v.id) v = { job: v }; // a bare job is fine too
  if (!v || typeof v.job !== "object" || !v.job) throw new Error('The body must be {"job": {...}}.');
  if (!v.job.id) throw new Error('The job needs an "id".');
  return v;
}

function drawPlan(plan) {
  const lines = [];
  for (const [g, s] of Object.entries((plan.annotations && plan.annotations.groups) || {})) {
    const parts = Object.entries(s).filter(([, n]) => n).map(([k, n]) => `${n} ${k.replace(/_/g, " ")}`);
    lines.push(`group ${g}: ${parts.join(", ") || "no change"}`);
  }
  const diff = plan.diff || { type: "none" };
  lines.push("", `job: ${diff.type}`);
  for (const f of diff.fields || []) lines.push(`  ${f.path}: ${f.old ?? ""} → ${f.new ?? ""}`);
  for (const [g, m] of Object.entries(plan.failed_tg_allocs || {})) {
    lines.push("", `group ${g} cannot be placed: ${JSON.stringify(m)}`);
  }
  return h("div", {}, h("h2", {}, "Plan"), h("pre", { class: "plan", id: "plan-text" }, lines.join("\n")));
}
