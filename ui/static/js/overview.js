// Cluster overview: servers and leader, clients, capacity used vs free,
// and the latest cluster events, kept live by blocking queries and the
// event stream.
import { h, replace, badge, table, shortID, errorBox } from "./dom.js";
import { get, call, watch, streamText } from "./api.js";

const MAX_NODES = 200;

export async function renderOverview(main, _args, _params, signal) {
  const servers = h("section", { "aria-labelledby": "ov-servers" }, h("h2", { id: "ov-servers" }, "Servers"), h("p", {}, "Loading…"));
  const capacity = h("section", { "aria-labelledby": "ov-cap" }, h("h2", { id: "ov-cap" }, "Capacity"), h("p", {}, "Loading…"));
  const events = h("section", { "aria-labelledby": "ov-events" }, h("h2", { id: "ov-events" }, "Recent events"), h("p", {}, "Waiting for events…"));
  replace(main, h("h1", {}, "Cluster overview"), servers, capacity, events);

  loadServers(servers).catch((err) => replace(servers, h("h2", {}, "Servers"), errorBox(err)));
  const state = { nodes: null, allocs: null, jobs: new Map() };
  const redraw = () => drawCapacity(capacity, state, signal).catch((err) => replace(capacity, h("h2", {}, "Capacity"), errorBox(err)));
  watch("/v1/nodes", signal, async (nodes) => {
    // The node list has no resources; each node is read on its own, so a
    // large cluster is summed over its first MAX_NODES nodes (said so).
    state.total = nodes.length;
    state.nodes = await Promise.all(nodes.slice(0, MAX_NODES).map((n) => get("/v1/node/" + encodeURIComponent(n.id), signal)));
    await redraw();
  }, (err) => replace(capacity, h("h2", {}, "Capacity"), errorBox(err)));
  watch("/v1/allocations?namespace=*", signal, async (allocs) => {
    state.allocs = allocs;
    await redraw();
  });
  followEvents(events, signal);
}

async function loadServers(section) {
  const [leader, peers, members] = await Promise.all([
    get("/v1/status/leader"), get("/v1/status/peers"),
    get("/v1/agent/members").catch(() => null), // needs agent:read
  ]);
  const rows = (members || peers.map((p) => ({ name: p, rpc_addr: p, status: "alive" }))).map((m) => [
    m.name, m.rpc_addr || "—", badge(m.status), m.rpc_addr === leader ? "leader" : "follower",
  ]);
  replace(section, h("h2", { id: "ov-servers" }, "Servers"),
    h("p", {}, "Leader: ", h("code", {}, leader || "none (no leader elected)"), ` · ${peers.length} Raft peer(s)`),
    table(["Name", "RPC address", "Status", "Role"], rows));
}

// drawCapacity sums node resources and the resources of running
// allocations (from their jobs' task resources, one read per job version).
async function drawCapacity(section, state, signal) {
  if (!state.nodes || !state.allocs) return;
  const total = { cpu: 0, memory: 0 };
  const ready = state.nodes.filter((n) => n.status === "ready");
  for (const n of ready) {
    total.cpu += (n.resources && n.resources.cpu) || 0;
    total.memory += (n.resources && n.resources.memory) || 0;
  }
  const used = { cpu: 0, memory: 0 };
  const live = state.allocs.filter((a) => a.desired_status === "run" && (a.client_status === "running" || a.client_status === "pending"));
  for (const a of live) {
    const key = a.namespace + "/" + a.job_id + "@" + a.job_version;
    if (!state.jobs.has(key)) {
      const q = "/v1/job/" + encodeURIComponent(a.job_id) + "?namespace=" + encodeURIComponent(a.namespace);
      state.jobs.set(key, get(q, signal).catch(() => null));
    }
    const job = await state.jobs.get(key);
    const g = job && (job.groups || []).find((x) => x.name === a.group);
    for (const t of (g && g.tasks) || []) {
      used.cpu += (t.resources && t.resources.cpu) || 0;
      used.memory += (t.resources && t.resources.memory) || 0;
    }
  }
  const running = state.allocs.filter((a) => a.client_status === "running").length;
  replace(section, h("h2", { id: "ov-cap" }, "Capacity"),
    h("div", { class: "cards" },
      card("Clients ready", `${ready.length} of ${state.nodes.length}`),
      state.total > state.nodes.length ? h("p", { class: "note" }, `Capacity of the first ${state.nodes.length} of ${state.total} nodes.`) : null,
      card("Allocations running", String(running)),
      meter("CPU (MHz)", used.cpu, total.cpu),
      meter("Memory (MB)", used.memory, total.memory)),
    table(["Node", "Status", "Eligibility", "CPU MHz", "Memory MB"], state.nodes.map((n) => [
      h("a", { href: "#/node/" + encodeURIComponent(n.id) }, n.name || shortID(n.id)), badge(n.status),
      badge(n.scheduling_eligibility), String((n.resources && n.resources.cpu) || 0), String((n.resources && n.resources.memory) || 0),
    ])));
}

function card(k, v) {
  return h("div", { class: "card" }, h("div", { class: "k" }, k), h("div", { class: "v" }, v));
}

function meter(k, used, total) {
  const pct = total ? Math.min(100, Math.round((used / total) * 100)) : 0;
  const free = Math.max(0, total - used);
  const bar = h("div", { class: "meter", role: "meter", "aria-valuemin": 0, "aria-valuemax": total, "aria-valuenow": used, "aria-label": k + " used" }, h("span"));
  bar.firstChild.style.width = pct + "%"; // CSSOM, not an inline style attribute: the CSP allows it
  return h("div", { class: "card" }, h("div", { class: "k" }, k),
    h("div", { class: "v" }, `${used} used · ${free} free`), bar, h("div", { class: "k" }, `${pct}% of ${total}`));
}

// followEvents shows the latest events: it starts a little before the
// current Raft index and follows the newline-delimited JSON stream.
async function followEvents(section, signal) {
  const list = [];
  const draw = () => replace(section, h("h2", { id: "ov-events" }, "Recent events"),
    list.length ? table(["Index", "Topic", "Type", "Key"], list.slice().reverse().map((e) => [
      String(e.index), e.topic, e.type, e.namespace ? e.namespace + "/" + e.key : e.key,
    ])) : h("p", { class: "note" }, "No events yet."));
  try {
    const { index } = await call("GET", "/v1/allocations?namespace=*", undefined, signal);
    let buf = "";
    await streamText("/v1/event/stream?index=" + Math.max(1, index - 40), signal, (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        for (const e of JSON.parse(line).events || []) list.push(e);
        list.splice(0, Math.max(0, list.length - 20));
      }
      draw();
    });
  } catch (err) {
    if (!signal.aborted) replace(section, h("h2", {}, "Recent events"), errorBox(err));
  }
}
