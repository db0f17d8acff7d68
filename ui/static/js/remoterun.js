// Remote run: run one command on a node, as `appmesh run -async` does (a
// one-off batch job "run-<id>" with meta appmesh.run), then show its
// output as it is written by reading GET /v1/run/<id> from the offsets
// already shown, until the command ends and its exit code is known.
import { h, replace, errorBox, toast } from "./dom.js";
import { call, get, sleep, enc } from "./api.js";
import { can } from "./auth.js";

const READ_EVERY = 1000; // ms between reads of the output (the endpoint does not block)

export async function renderRemoteRun(main, _args, params, signal) {
  // A token without node read access may still run commands: it then
  // picks no node, and the scheduler places the run.
  let nodes = [];
  let nodesNote = null;
  try {
    nodes = ((await get("/v1/nodes", signal)) || []).filter((n) => n.status === "ready");
  } catch (err) {
    if (signal.aborted) return;
    nodesNote = h("p", { class: "note" }, "The node list is not available to your token (" + err.message + "): the run goes to any node.");
  }
  const ns = h("input", { id: "run-namespace", value: params.get("namespace") || "default", size: 14 });
  const node = h("select", { id: "run-node" }, h("option", { value: "" }, "any node"),
    nodes.map((n) => h("option", { value: n.name, selected: n.name === params.get("node") }, `${n.name} (${n.id.slice(0, 8)})`)));
  const command = h("input", { id: "run-command", size: 40, autocomplete: "off", spellcheck: "false",
    "aria-describedby": "run-help", placeholder: "uptime" });
  const driver = h("select", { id: "run-driver" }, h("option", { value: "exec" }, "exec (isolated)"),
    h("option", { value: "raw_exec" }, "raw_exec (on the host)"));
  const user = h("input", { id: "run-user", size: 12, autocomplete: "off", placeholder: "agent's user" });
  const runBtn = h("button", { type: "submit", id: "run-start", class: "primary" }, "Run");
  const stopBtn = h("button", { type: "button", id: "run-stop", disabled: true }, "Stop");
  const status = h("p", { id: "run-status", "aria-live": "polite" }, "Nothing run yet.");
  const stdout = h("pre", { class: "log", id: "run-output", tabindex: "0", "aria-label": "Standard output" });
  const stderr = h("pre", { class: "log", id: "run-stderr", tabindex: "0", "aria-label": "Standard error" });
  let current = null; // {id, namespace, ctl}

  const form = h("form", { class: "filters", onsubmit: async (e) => {
    e.preventDefault();
    if (current) current.ctl.abort();
    let argv;
    try {
      argv = parseArgv(command.value);
    } catch (err) {
      replace(status, errorBox(err));
      return;
    }
    const job = runJob(argv, driver.value, user.value.trim(), node.value, ns.value.trim() || "default");
    stdout.textContent = stderr.textContent = "";
    status.textContent = "Submitting " + job.id + "…";
    try {
      await call("PUT", "/v1/jobs", { job });
    } catch (err) {
      replace(status, errorBox(err));
      return;
    }
    const ctl = new AbortController();
    signal.addEventListener("abort", () => ctl.abort(), { once: true });
    current = { id: job.id, namespace: job.namespace, ctl };
    stopBtn.disabled = false;
    await follow(current, { status, stdout, stderr }, ctl.signal);
    stopBtn.disabled = true;
  } }, h("label", {}, "Namespace", ns), h("label", {}, "Node", node),
  h("label", {}, "Command", command), h("label", {}, "Driver", driver), h("label", {}, "User", user), runBtn);

  stopBtn.addEventListener("click", async () => {
    if (!current) return;
    stopBtn.disabled = true;
    try {
      await call("DELETE", `/v1/job/${enc(current.id)}?namespace=${enc(current.namespace)}`);
      toast("Run " + current.id + " stopped");
    } catch (err) {
      replace(status, errorBox(err));
    }
  });
  const allowed = can("run-command", ns.value);
  replace(main, h("h1", {}, "Remote run"),
    h("p", { id: "run-help", class: "note" },
      "Runs one command on a node, like appmesh run. The command is split into words at spaces ",
      "(or give a JSON list) and never goes through a shell: write sh -c '…' for one. ",
      "It needs the run-command capability; without a user, or with raw_exec, also submit-privileged-job."),
    nodesNote, allowed ? form : h("p", { class: "note", id: "run-denied" }, "Your token may not run commands (run-command) in namespace " + ns.value + "."),
    status, h("div", { class: "actions" }, stopBtn),
    h("h2", {}, "Output"), stdout, h("h2", {}, "Standard error"), stderr);
}

// parseArgv reads "prog arg arg" or a JSON list.
function parseArgv(text) {
  const t = text.trim();
  if (!t) throw new Error("Give a command to run.");
  if (t.startsWith("[")) {
    let v;
    try {
      v = JSON.parse(t);
    } catch (err) {
      throw new Error("The command is not a JSON list: " + err.message);
    }
    if (!Array.isArray(v) || !v.length || v.some((x) => typeof x !== "string")) throw new Error("The JSON list must hold strings.");
    return v;
  }
  return t.split(/\s+/);
}

function runJob(argv, driver, user, nodeName, namespace) {
  const rnd = new Uint8Array(4);
  crypto.getRandomValues(rnd);
  const id = "run-" + [...rnd].map((b) => b.toString(16).padStart(2, "0")).join("");
  const group = {
    name: "run", count: 1,
    tasks: [{
      name: "run", driver, user: user || undefined,
      config: { command: argv[0], args: argv.slice(1), stdin: false },
      restart: { attempts: 0, mode: "fail" },
    }],
  };
  if (nodeName) group.constraints = [{ attribute: "${node.unique.name}", operator: "=", value: nodeName }];
  return { id, namespace, type: "batch", meta: { "appmesh.run": "async" }, groups: [group] };
}

// follow reads the run's output from where it left off until it is dead.
async function follow(run, el, signal) {
  let offset = 0, stderrOffset = 0;
  while (!signal.aborted) {
    let st;
    try {
      st = await get(`/v1/run/${enc(run.id)}?namespace=${enc(run.namespace)}&offset=${offset}&stderr_offset=${stderrOffset}`, signal);
    } catch (err) {
      if (!signal.aborted) replace(el.status, errorBox(err));
      return;
    }
    if (st.stdout) { el.stdout.append(st.stdout); el.stdout.scrollTop = el.stdout.scrollHeight; }
    if (st.stderr) { el.stderr.append(st.stderr); el.stderr.scrollTop = el.stderr.scrollHeight; }
    offset = st.stdout_offset;
    stderrOffset = st.stderr_offset;
    const where = st.node_name ? " on " + st.node_name : "";
    if (st.status === "dead" && !st.truncated) {
      el.status.replaceChildren(st.exit_code !== undefined && st.exit_code !== null
        ? `${run.id}${where}: the command exited with code ${st.exit_code}.`
        : `${run.id}${where}: the command did not run: ${st.error || "unknown reason"}.`,
      " ", h("a", { href: `#/job/${enc(run.namespace)}/${enc(run.id)}` }, "See the job"));
      return;
    }
    el.status.textContent = `${run.id}${where}: ${st.status}…`;
    if (!st.truncated) await sleep(READ_EVERY, signal);
  }
}
