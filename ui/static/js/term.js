// A small terminal for the exec page: enough of a VT100/xterm to show a
// shell prompt, line editing (readline's cursor moves, erases and
// inserts), colours ignored, and simple full-screen programs. It keeps a
// grid of character cells, draws it as text in a <pre> (never as markup),
// turns keystrokes into the bytes a terminal sends, and reports its size
// in character cells so the pseudo-terminal on the node can follow.
import { h } from "./dom.js";

const SCROLLBACK = 500; // lines kept above the screen

export class Terminal {
  constructor(onData, onResize) {
    this.onData = onData; // (string) → send to the command's stdin
    this.onResize = onResize; // ({rows, cols}) → tell the node
    this.el = h("pre", { class: "term", tabindex: "0", role: "textbox", "aria-multiline": "true", "aria-roledescription": "terminal",
      "aria-label": "Terminal: keys go to the command; Shift+Tab leaves" });
    this.rows = 24;
    this.cols = 80;
    this.reset();
    this.el.addEventListener("keydown", (e) => this.key(e));
    this.el.addEventListener("paste", (e) => {
      e.preventDefault();
      this.onData(e.clipboardData.getData("text").replace(/\r?\n/g, "\r"));
    });
    this.pending = ""; // an escape sequence cut between two chunks
    this.drawQueued = false;
  }

  reset() {
    this.screen = Array.from({ length: this.rows }, () => this.blank());
    this.history = [];
    this.x = this.y = 0;
    this.saved = [0, 0];
  }

  blank() {
    return new Array(this.cols).fill(" ");
  }

  // fit measures the element and resizes the grid to what fits in it.
  fit() {
    const probe = h("span", {}, "MMMMMMMMMM");
    this.el.appendChild(probe);
    const r = probe.getBoundingClientRect();
    probe.remove();
    const style = getComputedStyle(this.el);
    const cw = r.width / 10 || 8;
    const ch = parseFloat(style.lineHeight) || r.height || 16;
    const pad = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const cols = Math.max(20, Math.floor((this.el.clientWidth - pad) / cw));
    const rows = Math.max(5, Math.floor((parseFloat(style.height) || ch * 24) / ch));
    this.resize(rows, cols);
  }

  resize(rows, cols) {
    if (rows === this.rows && cols === this.cols) return;
    const grow = (line) => line.length >= cols ? line.slice(0, cols) : line.concat(new Array(cols - line.length).fill(" "));
    this.cols = cols;
    this.screen = this.screen.map(grow);
    while (this.screen.length > rows) {
      // Keep the cursor's line on screen: drop lines from the top.
      if (this.y > 0) { this.history.push(this.screen.shift()); this.y--; } else this.screen.pop();
    }
    while (this.screen.length < rows) this.screen.push(this.blank());
    this.rows = rows;
    this.x = Math.min(this.x, cols - 1);
    this.draw();
    if (this.onResize) this.onResize({ rows, cols });
  }

  // write feeds output from the command.
  write(text) {
    let s = this.pending + text;
    this.pending = "";
    for (let i = 0; i < s.length; i++) {
      const c = s[i];
      if (c === "\x1b") {
        const n = this.escape(s, i);
        if (n < 0) { this.pending = s.slice(i); break; }
        i = n;
      } else if (c === "\r") this.x = 0;
      else if (c === "\n" || c === "\x0b" || c === "\x0c") this.lineFeed();
      else if (c === "\b") this.x = Math.max(0, this.x - 1);
      else if (c === "\t") this.x = Math.min(this.cols - 1, (Math.floor(this.x / 8) + 1) * 8);
      else if (c >= " " && c !== "\x7f") this.put(c);
    }
    this.queueDraw();
  }

  put(c) {
    if (this.x >= this.cols) { this.x = 0; this.lineFeed(); }
    this.screen[this.y][this.x++] = c;
  }

  lineFeed() {
    if (this.y < this.rows - 1) { this.y++; return; }
    this.history.push(this.screen.shift());
    if (this.history.length > SCROLLBACK) this.history.shift();
    this.screen.push(this.blank());
  }

  // escape handles the sequence starting at s[i] and returns the index of
  // its last character, or -1 when the chunk ends inside it.
  escape(s, i) {
    const next = s[i + 1];
    if (next === undefined) return -1;
    if (next === "[") {
      const m = /^\x1b\[([?>]?)([0-9;]*)([ -\/]*)([@-~])/.exec(s.slice(i, i + 64));
      if (!m) return s.length - i < 64 ? -1 : i + 1;
      this.csi(m[1], m[2] ? m[2].split(";").map((v) => parseInt(v, 10) || 0) : [], m[4]);
      return i + m[0].length - 1;
    }
    if (next === "]") { // OSC (window title ...): ends with BEL or ESC \
      const end = s.slice(i).search(/\x07|\x1b\\/);
      if (end < 0) return -1;
      return i + end + (s[i + end] === "\x07" ? 0 : 1);
    }
    if (next === "7") this.saved = [this.x, this.y];
    else if (next === "8") [this.x, this.y] = this.saved;
    else if (next === "c") this.reset();
    else if ("()*+".includes(next)) return s[i + 2] === undefined ? -1 : i + 2; // character sets
    return i + 1;
  }

  csi(priv, p, cmd) {
    const n = (k) => Math.max(1, p[k] || 0);
    const row = this.screen[this.y];
    switch (cmd) {
      case "A": this.y = Math.max(0, this.y - n(0)); break;
      case "B": this.y = Math.min(this.rows - 1, this.y + n(0)); break;
      case "C": this.x = Math.min(this.cols - 1, this.x + n(0)); break;
      case "D": this.x = Math.max(0, Math.min(this.x, this.cols) - n(0)); break;
      case "G": this.x = Math.min(this.cols - 1, n(0) - 1); break;
      case "d": this.y = Math.min(this.rows - 1, n(0) - 1); break;
      case "H": case "f":
        this.y = Math.min(this.rows - 1, n(0) - 1);
        this.x = Math.min(this.cols - 1, n(1) - 1);
        break;
      case "J": this.eraseDisplay(p[0] || 0); break;
      case "K": {
        const [from, to] = [[this.x, this.cols], [0, this.x + 1], [0, this.cols]][p[0] || 0] || [0, 0];
        for (let k = from; k < to && k < this.cols; k++) row[k] = " ";
        break;
      }
      case "P": row.splice(this.x, n(0)); while (row.length < this.cols) row.push(" "); break;
      case "@": row.splice(this.x, 0, ...new Array(n(0)).fill(" ")); row.length = this.cols; break;
      case "X": for (let k = this.x; k < this.x + n(0) && k < this.cols; k++) row[k] = " "; break;
      case "s": this.saved = [this.x, this.y]; break;
      case "u": [this.x, this.y] = this.saved; break;
      case "h": case "l":
        // The alternate screen (?1049, ?47): start it clean, come back clean.
        if (priv === "?" && (p.includes(1049) || p.includes(47))) this.eraseDisplay(2);
        break;
      default: // m (colours), r (scroll region) and the rest: ignored
    }
  }

  eraseDisplay(mode) {
    if (mode === 2 || mode === 3) {
      this.screen = this.screen.map(() => this.blank());
      return;
    }
    const [from, to] = mode === 0 ? [this.y + 1, this.rows] : [0, this.y];
    for (let r = from; r < to; r++) this.screen[r] = this.blank();
    const row = this.screen[this.y];
    if (mode === 0) for (let k = this.x; k < this.cols; k++) row[k] = " ";
    else for (let k = 0; k <= this.x && k < this.cols; k++) row[k] = " ";
  }

  queueDraw() {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => { this.drawQueued = false; this.draw(); });
  }

  // draw shows the scrollback and the screen as text, the cursor's cell
  // in an element of its own (inverse video, and underlined for anyone
  // who cannot see the colours).
  draw() {
    const trim = (line) => line.join("").replace(/\s+$/, "");
    const before = this.history.map(trim).concat(this.screen.slice(0, this.y).map(trim));
    const row = this.screen[this.y];
    const x = Math.min(this.x, this.cols - 1);
    const after = [row.slice(x + 1).join("").replace(/\s+$/, "")].concat(this.screen.slice(this.y + 1).map(trim));
    while (after.length > 1 && after[after.length - 1] === "") after.pop();
    const head = before.join("\n") + (before.length ? "\n" : "") + row.slice(0, x).join("");
    const cursor = h("span", { class: "cursor" }, row[x]);
    this.el.replaceChildren(document.createTextNode(head), cursor, document.createTextNode(after.join("\n")));
    this.el.scrollTop = this.el.scrollHeight;
  }

  // text is what the terminal shows, for tests and screen readers.
  text() {
    return this.history.concat(this.screen).map((l) => l.join("").replace(/\s+$/, "")).join("\n");
  }

  key(e) {
    if (e.key === "Tab" && e.shiftKey) return; // the way out of the terminal
    const seq = keySequence(e);
    if (seq === null) return;
    e.preventDefault();
    this.onData(seq);
  }
}

const KEYS = {
  Enter: "\r", Backspace: "\x7f", Tab: "\t", Escape: "\x1b",
  ArrowUp: "\x1b[A", ArrowDown: "\x1b[B", ArrowRight: "\x1b[C", ArrowLeft: "\x1b[D",
  Home: "\x1b[H", End: "\x1b[F", Delete: "\x1b[3~", Insert: "\x1b[2~", PageUp: "\x1b[5~", PageDown: "\x1b[6~",
};

// keySequence is the bytes a terminal sends for a key, or null for keys
// it leaves to the browser (Ctrl+Shift+C copies, a lone Shift, ...).
export function keySequence(e) {
  if (e.metaKey) return null;
  if (e.ctrlKey && !e.altKey && e.key.length === 1) {
    if (e.shiftKey && /[a-z]/i.test(e.key)) return null; // the browser's copy and paste
    const c = e.key.toUpperCase().charCodeAt(0);
    if (c >= 64 && c <= 95) return String.fromCharCode(c - 64); // Ctrl+C → \x03 ...
    if (e.key === " ") return "\x00";
    return null;
  }
  if (KEYS[e.key]) return (e.altKey ? "\x1b" : "") + KEYS[e.key];
  if (e.key.length === 1 && !e.ctrlKey) return (e.altKey ? "\x1b" : "") + e.key;
  return null;
}
