// A plain textarea made comfortable for code: line numbers in a gutter
// beside it, Tab inserting two spaces, and a way to mark and jump to the
// lines a parser complained about. Escape followed by Tab still leaves the
// field, so keyboard users are never trapped in it.
import { h } from "./dom.js";

const INDENT = "  ";

export function attachCodeArea(area) {
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const element = h("div", { class: "codearea" }, gutter, area);
  let bad = new Set();
  let lastCount = -1;
  let escaped = false;

  const draw = (force) => {
    const count = area.value.split("\n").length;
    if (count === lastCount && !force) return;
    lastCount = count;
    const lines = [];
    // A marked line shows "!" next to its number: readable without colour.
    for (let i = 1; i <= count; i++) lines.push((bad.has(i) ? "! " : "") + i);
    gutter.textContent = lines.join("\n");
    gutter.scrollTop = area.scrollTop;
  };
  area.addEventListener("input", () => draw(false));
  area.addEventListener("scroll", () => { gutter.scrollTop = area.scrollTop; });
  area.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { escaped = true; return; }
    if (e.key !== "Tab" || escaped || e.ctrlKey || e.altKey || e.metaKey) { escaped = false; return; }
    e.preventDefault();
    if (e.shiftKey) outdent(area); else insert(area, INDENT);
    draw(false);
  });
  area.addEventListener("blur", () => { escaped = false; });
  draw(true);

  return {
    element,
    // mark flags lines (numbers from 1) in the gutter; [] clears.
    mark(lines) { bad = new Set(lines); draw(true); },
    // goTo puts the cursor at a line and column and scrolls to it.
    goTo(line, column) {
      const rows = area.value.split("\n");
      let pos = 0;
      for (let i = 0; i < line - 1 && i < rows.length; i++) pos += rows[i].length + 1;
      pos += Math.max(0, Math.min((column || 1) - 1, (rows[line - 1] || "").length));
      area.focus();
      area.setSelectionRange(pos, pos);
      const lh = parseFloat(getComputedStyle(area).lineHeight) || 18;
      area.scrollTop = Math.max(0, (line - 3) * lh);
    },
  };
}

// insert replaces the selection with text, keeping the browser's undo
// history where it can (execCommand is the only way to do that).
function insert(area, text) {
  area.focus();
  if (!document.execCommand || !document.execCommand("insertText", false, text)) {
    const { selectionStart: s, selectionEnd: e } = area;
    area.setRangeText(text, s, e, "end");
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

// outdent removes up to two spaces at the start of the cursor's line.
function outdent(area) {
  const s = area.selectionStart;
  const start = area.value.lastIndexOf("\n", s - 1) + 1;
  let n = 0;
  while (n < INDENT.length && area.value[start + n] === " ") n++;
  if (!n) return;
  area.setRangeText("", start, start + n, "preserve");
  area.dispatchEvent(new Event("input", { bubbles: true }));
}
