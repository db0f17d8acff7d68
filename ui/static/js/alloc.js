// Allocation detail: task states and their events, restart counts, and
// live logs (stdout or stderr, followed as they are written).
import { h, replace, badge, table, kv, nanos, shortID, errorBox, actionButton } from "./dom.js";
import { call, watch, streamText } from "./api.js";
import { can } from "./auth.js";
import { drawExec } from "./exec.js";
import { sampleStats } from "./stats.js";

const LOG_TAIL = 64 * 1024; // bytes of history shown before following

export async function renderAlloc(main, [id], _params, signal) {
  const info = h("div", {}, h("p", {}, "Loading…"));
  const tasks = h("section", { "aria-labelledby": "alloc-tasks" });
  const logs = h("section", { "aria-labelledby": "alloc-logs" });
  const exec = h("section", { "aria-labelledby": "alloc-exec" });
  const stats = h("section", { "aria-labelledby": "alloc-stats-h", id: "alloc-stats" });
  replace(main, h("h1", {}, "Allocation ", h("span", { class: "mono" }, shortID(id))), info, tasks, stats, logs, exec);
  // Logs, exec and resource use start once, when there is something to
  // show: a page opened on a pending allocation (just submitted, still
  // fetching artifacts) gets them when its tasks appear and run, without
  // a reload.
  const started = { logs: false, exec: false, stats: false };
  await watch("/v1/allocation/" + encodeURIComponent(id), signal, (a) => {
    drawInfo(info, a);
    drawTasks(tasks, a);
    // A task still "pending" (its artifacts downloading) has no log yet.
    const taskStarted = Object.values(a.task_states || {}).some((s) => s.state !== "pending" || s.started_at);
    if (!started.logs && (taskStarted || !logs.hasChildNodes())) {
      started.logs = taskStarted;
      drawLogs(logs, a, signal, taskStarted);
    }
    if (a.client_status !== "running") return;
    if (!started.exec && can("alloc-exec", a.namespace)) {
      started.exec = true;
      drawExec(exec, a, signal);
    }
    if (!started.stats && can("read-job", a.namespace)) {
      started.stats = true;
      sampleStats(stats, a, signal);
    }
  }, (err) => replace(info, errorBox(err)));
}

function drawInfo(el, a) {
  const jobLink = h("a", { href: "#/job/" + encodeURIComponent(a.namespace) + "/" + encodeURIComponent(a.job_id) }, a.job_id);
  const actions = h("div", { class: "actions" });
  if (can("alloc-lifecycle", a.namespace) && a.desired_status === "run") {
    actions.append(
      actionButton("Restart tasks", "restart-alloc", () => call("POST", `/v1/client/allocation/${encodeURIComponent(a.id)}/restart`, {}), "Restart requested"),
      signalControl(a),
      actionButton("Stop allocation", "stop-alloc", () => call("PUT", `/v1/allocation/${encodeURIComponent(a.id)}/stop?namespace=${encodeURIComponent(a.namespace)}`), "Stop requested"));
  }
  replace(el, kv([
    ["ID", h("span", { class: "mono" }, a.id)], ["Job", jobLink], ["Name", a.name], ["Namespace", a.namespace],
    ["Node", h("a", { href: "#/node/" + encodeURIComponent(a.node_id) }, a.node_name || shortID(a.node_id))],
    ["Status", h("span", {}, badge(a.client_status), " ", a.client_description || "")],
    ["Desired", a.desired_status + (a.desired_description ? " — " + a.desired_description : "")],
    ["Created", nanos(a.create_time)],
  ]), actions);
}

// signalControl sends a signal to every task of the allocation.
function signalControl(a) {
  const sel = h("select", { id: "signal-name", "aria-label": "Signal" },
    ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGINT", "SIGTERM"].map((s) => h("option", { value: s }, s)));
  const btn = actionButton("Send signal", "send-signal",
    () => call("POST", `/v1/client/allocation/${encodeURIComponent(a.id)}/signal`, { signal: sel.value }), "Signal sent");
  return h("span", { class: "actions" }, sel, btn);
}

function drawTasks(el, a) {
  const parts = [h("h2", { id: "alloc-tasks" }, "Tasks")];
  for (const [name, s] of Object.entries(a.task_states || {})) {
    parts.push(h("h3", {}, name, " ", badge(s.failed ? "failed" : s.state)),
      kv([["Restarts", String(s.restarts || 0)], ["Started", nanos(s.started_at)], ["Finished", nanos(s.finished_at)],
        ["Exit code", s.exit_code === undefined || s.exit_code === null ? "—" : String(s.exit_code)],
        s.health ? ["Health", s.health] : null].filter(Boolean)),
      s.checks && s.checks.length ? table(["Check", "Status", "Output", "Time"], s.checks.map((c) => [
        c.name, badge(c.status || "pending"), c.output || "—", nanos(c.time)]), "Health checks of task " + name) : null,
      table(["Time", "Event", "Message"], (s.events || []).slice().reverse().map((e) => [
        nanos(e.time), e.type, [e.message, e.error, e.exit_code !== undefined ? "exit code " + e.exit_code : ""].filter(Boolean).join(" · ") || "—",
      ]), "Events of task " + name + ", newest first"));
  }
  if (parts.length === 1) parts.push(h("p", { class: "note" }, "No task has started yet."));
  replace(el, ...parts);
}

// drawLogs offers the task, stdout or stderr and follow; each change
// restarts the stream, and leaving the page ends it.
function drawLogs(el, a, pageSignal, taskStarted) {
  const taskNames = taskStarted ? Object.keys(a.task_states || {}) : [];
  if (!can("read-logs", a.namespace)) {
    replace(el, h("h2", { id: "alloc-logs" }, "Logs"), h("p", { class: "note" }, "Your token may not read logs in namespace " + a.namespace + "."));
    return;
  }
  const task = h("select", { id: "log-task" }, taskNames.map((t) => h("option", { value: t }, t)));
  const type = h("select", { id: "log-type" }, h("option", { value: "stdout" }, "stdout"), h("option", { value: "stderr" }, "stderr"));
  const follow = h("input", { type: "checkbox", id: "log-follow", checked: true });
  const out = h("pre", { class: "log", id: "log-output", tabindex: "0", "aria-label": "Task log" });
  let ctl = null;
  const start = () => {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    pageSignal.addEventListener("abort", () => ctl.abort(), { once: true });
    out.textContent = "";
    if (!task.value) return;
    const q = new URLSearchParams({ task: task.value, type: type.value, follow: String(follow.checked), origin: "end", offset: String(LOG_TAIL) });
    const signal = ctl.signal;
    streamText(`/v1/client/fs/logs/${encodeURIComponent(a.id)}?${q}`, signal, (chunk) => {
      const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
      out.append(chunk);
      if (atBottom) out.scrollTop = out.scrollHeight;
    }).catch((err) => { if (!signal.aborted) out.after(errorBox(err)); });
  };
  for (const c of [task, type, follow]) c.addEventListener("change", start);
  replace(el, h("h2", { id: "alloc-logs" }, "Logs"),
    h("div", { class: "filters" }, h("label", {}, "Task", task), h("label", {}, "Stream", type),
      h("label", { class: "inline" }, follow, "Follow")),
    taskNames.length ? out : h("p", { class: "note" }, "No task has started yet; the logs appear when one does."));
  start();
}
