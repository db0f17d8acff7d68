// Nodes: list with status and eligibility, and a node page with its
// resources, drivers and attributes, where an operator drains it or
// toggles its eligibility.
import { h, replace, badge, table, kv, nanos, shortID, errorBox, actionButton } from "./dom.js";
import { call, watch } from "./api.js";
import { canWrite, can } from "./auth.js";

export async function renderNodes(main, _args, _params, signal) {
  const list = h("div", { "aria-live": "polite" }, h("p", {}, "Loading…"));
  replace(main, h("h1", {}, "Nodes"), list);
  await watch("/v1/nodes", signal, (nodes) => {
    replace(list, nodes.length ? table(["Name", "ID", "Datacenter", "Status", "Eligibility", "Draining", "Drivers"], nodes.map((n) => [
      h("a", { href: "#/node/" + encodeURIComponent(n.id) }, n.name || shortID(n.id)), h("span", { class: "mono" }, shortID(n.id)),
      n.datacenter, badge(n.status), badge(n.scheduling_eligibility), n.drain ? "yes" : "no",
      Object.entries(n.drivers || {}).filter(([, d]) => d.healthy).map(([k]) => k).join(", ") || "none healthy",
    ])) : h("p", { class: "note" }, "No client nodes have registered."));
  }, (err) => replace(list, errorBox(err)));
}

export async function renderNode(main, [id], _params, signal) {
  const body = h("div", {}, h("p", {}, "Loading…"));
  replace(main, h("h1", {}, "Node ", h("span", { class: "mono" }, shortID(id))), body);
  await watch("/v1/node/" + encodeURIComponent(id), signal, (n) => drawNode(main, body, n), (err) => replace(body, errorBox(err)));
}

function drawNode(main, el, n) {
  main.querySelector("h1").textContent = "Node " + (n.name || shortID(n.id));
  const r = n.resources || {};
  const actions = h("div", { class: "actions" });
  if (canWrite("node")) {
    const path = "/v1/node/" + encodeURIComponent(n.id);
    if (n.drain_strategy) {
      actions.append(actionButton("Stop draining", "drain-node", () => call("PUT", path + "/drain", { drain: null, mark_eligible: true }), "Drain stopped", { once: true }));
    } else {
      actions.append(actionButton("Drain node", "drain-node", () => call("PUT", path + "/drain", { drain: { deadline: "1h" } }), "Drain started", { once: true }));
    }
    const eligible = n.scheduling_eligibility === "eligible";
    actions.append(actionButton(eligible ? "Mark ineligible" : "Mark eligible", "toggle-eligibility",
      () => call("PUT", path + "/eligibility", { eligibility: eligible ? "ineligible" : "eligible" }), "Eligibility changed", { once: true }));
  }
  if (can("run-command", "default") && n.status === "ready") {
    actions.append(h("a", { href: "#/remote-run?node=" + encodeURIComponent(n.name), id: "run-on-node" }, "Run a command here"));
  }
  const drivers = Object.entries(n.drivers || {}).map(([name, d]) => [name, badge(d.healthy ? "healthy" : d.detected ? "unhealthy" : "undetected"), d.health_description || ""]);
  const attrs = Object.entries(n.attributes || {}).sort(([a], [b]) => a.localeCompare(b));
  replace(el,
    kv([["ID", h("span", { class: "mono" }, n.id)], ["Datacenter", n.datacenter], ["Address", n.http_addr || "—"],
      ["Status", h("span", {}, badge(n.status), " ", n.status_description || "")],
      ["Eligibility", h("span", { id: "node-eligibility" }, badge(n.scheduling_eligibility))],
      ["Drain", h("span", { id: "node-drain" }, n.drain_strategy ? "draining (deadline " + (n.drain_strategy.deadline || "none") + ")" : "not draining")],
      ["CPU", `${r.cpu || 0} MHz on ${r.cores || 0} cores`], ["Memory", `${r.memory || 0} MB`], ["Disk", `${r.disk || 0} MB`],
      ["Status updated", nanos(n.status_updated_at)]]),
    actions,
    h("h2", {}, "Drivers"), table(["Driver", "Health", "Detail"], drivers),
    h("h2", {}, "Attributes"), table(["Attribute", "Value"], attrs),
    n.meta && Object.keys(n.meta).length ? [h("h2", {}, "Meta"), table(["Key", "Value"], Object.entries(n.meta))] : null);
}

