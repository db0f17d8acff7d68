// Resource use of an allocation's tasks: CPU and memory, sampled from
// /v1/client/allocation/<id>/stats every few seconds while the page is open
// (a measurement has no index to block on), drawn as small SVG charts with
// the current value written out.
import { h, replace, errorBox } from "./dom.js";
import { get, sleep } from "./api.js";

const INTERVAL = 5000; // ms between samples
const KEEP = 60; // samples per chart: five minutes
const SVG = "http://www.w3.org/2000/svg";

export async function sampleStats(el, a, signal) {
  const series = new Map(); // task -> {cpu: [], mem: []}
  while (!signal.aborted) {
    try {
      const stats = await get(`/v1/client/allocation/${encodeURIComponent(a.id)}/stats`, signal);
      for (const [task, s] of Object.entries(stats || {})) {
        if (!series.has(task)) series.set(task, { cpu: [], mem: [] });
        const ser = series.get(task);
        ser.cpu.push(s.cpu_percent || 0);
        ser.mem.push((s.memory_rss_bytes || 0) / (1 << 20));
        for (const k of ["cpu", "mem"]) ser[k].splice(0, Math.max(0, ser[k].length - KEEP));
      }
      draw(el, series);
    } catch (err) {
      if (signal.aborted) return;
      replace(el, h("h2", { id: "alloc-stats-h" }, "Resource use"), errorBox(err));
      if (err.status === 403 || err.status === 404) return;
    }
    await sleep(INTERVAL, signal);
  }
}

function draw(el, series) {
  const parts = [h("h2", { id: "alloc-stats-h" }, "Resource use"),
    h("p", { class: "note" }, `Sampled every ${INTERVAL / 1000} s while this page is open; the last ${KEEP} samples.`)];
  for (const [task, s] of series) {
    const cpu = s.cpu[s.cpu.length - 1];
    const mem = s.mem[s.mem.length - 1];
    parts.push(h("h3", {}, task), h("div", { class: "cards" },
      h("div", { class: "card" }, h("div", { class: "k" }, "CPU"), h("div", { class: "v" }, `${cpu.toFixed(1)} %`),
        chart(s.cpu, `CPU of task ${task}, now ${cpu.toFixed(1)} percent`)),
      h("div", { class: "card" }, h("div", { class: "k" }, "Memory (RSS)"), h("div", { class: "v" }, `${mem.toFixed(1)} MB`),
        chart(s.mem, `Memory of task ${task}, now ${mem.toFixed(1)} megabytes`))));
  }
  if (!series.size) parts.push(h("p", { class: "note" }, "No running task to measure."));
  replace(el, ...parts);
}

// chart draws values as a polyline scaled to its maximum.
function chart(values, label) {
  const w = 240, ht = 48;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${ht}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? w / (KEEP - 1) : 0;
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(ht - 2 - (v / max) * (ht - 4)).toFixed(1)}`);
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", pts.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "2");
  svg.appendChild(line);
  return svg;
}
