// Periodic and parameterized jobs: the next and last launch, the children
// launched so far, "Launch now" for a periodic job and "Dispatch" (with
// meta) for a parameterized one.
import { h, replace, badge, table, nanos, errorBox, actionButton } from "./dom.js";
import { call, watch } from "./api.js";
import { can } from "./auth.js";
import { jobPath } from "./job.js";

export function watchSchedules(el, job, signal) {
  if (!job.periodic && !job.parameterized) return;
  const actions = h("div", { class: "actions" });
  if (job.periodic && can("submit-job", job.namespace)) {
    actions.append(actionButton("Launch now", "force-launch", () => call("PUT", jobPath(job.namespace, job.id, "periodic/force")), "Launched"));
  }
  if (job.parameterized && can("dispatch-job", job.namespace)) {
    const meta = h("input", { id: "dispatch-meta", size: 40, placeholder: "key=value, key2=value2" });
    actions.append(h("label", {}, "Meta for the dispatch", meta), actionButton("Dispatch", "dispatch-job", () => {
      const m = {};
      for (const pair of meta.value.split(",").map((x) => x.trim()).filter(Boolean)) {
        const at = pair.indexOf("=");
        if (at <= 0) throw new Error(`Meta "${pair}" is not key=value.`);
        m[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
      }
      return call("PUT", jobPath(job.namespace, job.id, "dispatch"), { meta: m });
    }, "Dispatched"));
  }
  const body = h("div", {}, h("p", {}, "Loading…"));
  replace(el, h("h2", { id: "job-launches" }, job.periodic ? "Periodic launches" : "Dispatched jobs"), actions, body);
  watch(jobPath(job.namespace, job.id, "periodic"), signal, (st) => {
    const children = (st && st.children) || [];
    replace(body,
      job.periodic ? h("p", {}, "Next launch: ", st.next_launch || "none", " · last launch: ", st.last_launch || "never") : null,
      children.length ? table(["Job", "Status", "Submitted"], children.slice().reverse().map((c) => [
        h("a", { href: "#/job/" + encodeURIComponent(c.namespace) + "/" + encodeURIComponent(c.id) }, c.id), badge(c.status), nanos(c.submit_time),
      ])) : h("p", { class: "note" }, "No launches yet."));
  }, (err) => replace(body, errorBox(err)));
}

