// Job editor: the job as HCL (as `appmesh job run` reads it) or JSON.
// "Plan" sends the text to POST /v1/jobs/parse, which answers the job or
// each problem with its line, then plans that job; "Run" submits exactly
// the planned job (enforce_index: a change by someone else in between is
// refused instead of overwritten).
import { h, replace, errorBox, toast } from "./dom.js";
import { call, get } from "./api.js";
import { jobPath } from "./job.js";
import { attachCodeArea } from "./codearea.js";

const EXAMPLE = `job "hello" {
  type = "service"

  group "web" {
    count = 1

    task "server" {
      driver = "exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo hello from appmesh; while true; do date; sleep 5; done"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`;

// Fields the agent sets itself; sending them back would only confuse.
const READ_ONLY = ["status", "status_description", "version", "submit_time", "create_index", "modify_index",
  "job_modify_index", "last_register", "stable"];

export async function renderEditor(main, [ns, id], _params, signal) {
  let text = EXAMPLE;
  if (id) {
    // The agent keeps the job, not the file it came from: an existing job
    // is edited as JSON.
    const job = await get(jobPath(ns, id), signal);
    for (const k of READ_ONLY) delete job[k];
    text = JSON.stringify({ job }, null, 2);
  }
  const area = h("textarea", { id: "job-editor", class: "editor", spellcheck: "false", autocomplete: "off",
    autocapitalize: "off", wrap: "off", "aria-describedby": "editor-help" });
  area.value = text;
  const code = attachCodeArea(area);
  const vars = h("textarea", { id: "job-vars", class: "vars", rows: 3, spellcheck: "false", autocomplete: "off",
    placeholder: "image=redis:7", "aria-describedby": "vars-help" });
  const varsBox = h("details", {}, h("summary", {}, "Variables"),
    h("p", { id: "vars-help", class: "note" }, "Values for the job's variable blocks, one name=value a line, as appmesh job run -var takes them."),
    h("label", { for: "job-vars" }, "Variables"), vars);
  const out = h("div", { id: "plan-output", "aria-live": "polite" });
  const planBtn = h("button", { type: "button", id: "plan-job" }, "Plan");
  const runBtn = h("button", { type: "button", id: "run-job", class: "primary", disabled: true }, "Run");
  let planned = null; // {text, job, index} of the last successful plan
  const planKey = () => area.value + "\u0000" + vars.value; // what a plan was made of
  const dirty = () => { runBtn.disabled = !planned || planned.text !== planKey(); };
  area.addEventListener("input", dirty);
  vars.addEventListener("input", dirty);

  planBtn.addEventListener("click", async () => {
    planned = null;
    runBtn.disabled = true;
    code.mark([]);
    const source = area.value;
    const key = planKey();
    replace(out, h("p", {}, "Reading the job…"));
    let job;
    try {
      const q = new URLSearchParams({ namespace: guessNamespace(source, ns) });
      const body = { source };
      const variables = parseVars(vars.value);
      if (Object.keys(variables).length) body.variables = variables;
      job = (await call("POST", "/v1/jobs/parse?" + q, body)).data.job;
    } catch (err) {
      replace(out, drawProblems(err, code));
      return;
    }
    try {
      replace(out, h("p", {}, "Planning…"));
      const r = await call("PUT", jobPath(job.namespace, job.id, "plan"), { job, diff: true });
      planned = { text: key, job, index: r.data.job_modify_index };
      replace(out, drawPlan(r.data));
      runBtn.disabled = false;
      runBtn.focus();
    } catch (err) {
      replace(out, errorBox(err));
    }
  });
  runBtn.addEventListener("click", async () => {
    if (!planned || planned.text !== planKey()) return;
    runBtn.disabled = true;
    const job = planned.job;
    try {
      await call("PUT", "/v1/jobs", { job, enforce_index: true, job_modify_index: planned.index });
      toast("Job " + job.id + " submitted");
      location.hash = "#/job/" + encodeURIComponent(job.namespace) + "/" + encodeURIComponent(job.id);
    } catch (err) {
      replace(out, errorBox(err));
    }
  });
  replace(main, h("h1", {}, id ? "Edit job " + id : "Run a job"),
    h("p", { id: "editor-help", class: "note" },
      "The job in HCL, as in a job file, or in JSON ({\"job\": {...}}, as PUT /v1/jobs takes it). ",
      "Tab inserts two spaces; press Escape, then Tab, to leave the editor. ",
      "Plan first: Run submits the version you planned."),
    h("label", { for: "job-editor" }, "Job definition"), code.element, varsBox,
    h("div", { class: "actions" }, planBtn, runBtn), out);
}

// parseVars reads "name=value" lines (blank lines skipped).
function parseVars(text) {
  const out = {};
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const eq = line.indexOf("=");
    if (eq < 1) throw new Error(`Variables, line ${i + 1}: write name=value, not "${line}".`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1);
  });
  return out;
}

// guessNamespace finds the namespace the text names, for the parse
// call's ?namespace= (the agent checks the job's own namespace too).
function guessNamespace(source, fallback) {
  const m = /^\s*namespace\s*=\s*"([^"]+)"/m.exec(source) || /"namespace"\s*:\s*"([^"]+)"/.exec(source);
  return m ? m[1] : (fallback || "default");
}

// drawProblems lists what is wrong with the text, each with a button that
// puts the cursor on its line; the gutter marks those lines too.
function drawProblems(err, code) {
  const problems = (err.body && err.body.problems) || [];
  if (!problems.length) return errorBox(err);
  code.mark(problems.map((p) => p.line).filter(Boolean));
  const items = problems.map((p) => h("li", {}, p.line
    ? h("button", { type: "button", class: "link", onclick: () => code.goTo(p.line, p.column) },
      `Line ${p.line}, column ${p.column}`)
    : null, p.line ? ": " : "", p.message));
  return h("div", { id: "parse-errors", class: "error", role: "alert" },
    h("p", {}, problems.length === 1 ? "The job has a problem:" : `The job has ${problems.length} problems:`),
    h("ul", {}, items));
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
  for (const [g, m] of Object.entries(plan.failed_tg_allocs || {})) lines.push("", ...placementFailure(g, m));
  return h("div", {}, h("h2", {}, "Plan"), h("pre", { class: "plan", id: "plan-text" }, lines.join("\n")));
}

// placementFailure explains why a group could not be placed, in words.
function placementFailure(group, m) {
  const out = [`group ${group} cannot be placed: ${m.nodes_evaluated || 0} node(s) evaluated, ` +
    `${m.nodes_filtered || 0} filtered out, ${m.nodes_exhausted || 0} without room` +
    (m.coalesced_failures ? ` (${m.coalesced_failures + 1} allocations alike)` : "")];
  for (const [c, n] of Object.entries(m.constraint_filtered || {})) out.push(`  * constraint ${c} filtered ${n} node(s)`);
  for (const [d, n] of Object.entries(m.dimension_exhausted || {})) out.push(`  * ${d} exhausted on ${n} node(s)`);
  if (!m.nodes_evaluated) out.push("  * no ready node is eligible for this job (datacenters, drain, node pool)");
  return out;
}
