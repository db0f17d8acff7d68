// Exec: run a command in a task over the agent's WebSocket
// (/v1/client/allocation/<id>/exec). Two modes:
//  - terminal (default): the command gets a pseudo-terminal (tty=true);
//    every key goes to it as a terminal sends it (Ctrl+C included), its
//    output is drawn by term.js, and the terminal's size follows the page
//    (tty_size messages);
//  - lines: no terminal; what you type is sent a line at a time and its
//    stdout and stderr are shown as they come (for commands that behave
//    differently on a terminal, and for screen readers).
// The token travels as a WebSocket subprotocol, never in the URL (browsers
// cannot set headers on a WebSocket).
import { h, replace } from "./dom.js";
import { getToken } from "./auth.js";
import { Terminal } from "./term.js";

function toBase64(text) {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

function fromBase64(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

export function drawExec(el, a, pageSignal) {
  const tasks = Object.keys(a.task_states || {});
  const task = h("select", { id: "exec-task" }, tasks.map((t) => h("option", { value: t }, t)));
  const command = h("input", { id: "exec-command", value: "/bin/sh", size: 30 });
  const mode = h("select", { id: "exec-mode" }, h("option", { value: "terminal" }, "terminal (TTY)"),
    h("option", { value: "lines" }, "line by line"));
  const status = h("p", { id: "exec-status", "aria-live": "polite", class: "note" }, "Not connected.");
  const out = h("pre", { class: "log", id: "exec-output", tabindex: "0", "aria-label": "Command output" });
  const input = h("input", { id: "exec-input", size: 50, disabled: true, "aria-label": "Input line", autocomplete: "off" });
  const send = h("button", { type: "button", id: "exec-send", disabled: true }, "Send line");
  const close = h("button", { type: "button", id: "exec-close", disabled: true }, "Close input");
  const connect = h("button", { type: "button", id: "exec-connect", class: "primary" }, "Connect");
  const disconnect = h("button", { type: "button", id: "exec-disconnect", disabled: true }, "Disconnect");
  const lineRow = h("div", { class: "filters" }, input, send, close);
  let ws = null;
  let term = null;
  let observer = null;
  const frame = (f) => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(f)); };
  const setOpen = (open) => {
    const lines = mode.value === "lines";
    input.disabled = send.disabled = close.disabled = !open || !lines;
    disconnect.disabled = !open;
    connect.disabled = mode.disabled = open;
  };
  const showMode = () => {
    const lines = mode.value === "lines";
    lineRow.hidden = !lines;
    out.hidden = !lines;
    if (term) term.el.hidden = lines;
  };
  mode.addEventListener("change", showMode);

  connect.addEventListener("click", () => {
    let argv;
    try {
      argv = command.value.trim().startsWith("[") ? JSON.parse(command.value) : command.value.trim().split(/\s+/);
    } catch (err) {
      status.textContent = "The command is not a JSON list: " + err.message;
      return;
    }
    const tty = mode.value === "terminal";
    out.textContent = "";
    const q = new URLSearchParams({ task: task.value, command: JSON.stringify(argv) });
    if (tty) {
      term = newTerminal(term, (data) => frame({ stdin: { data: toBase64(data) } }),
        ({ rows, cols }) => frame({ tty_size: { height: rows, width: cols } }));
      out.after(term.el);
      term.fit();
      q.set("tty", "true");
      q.set("tty_height", String(term.rows));
      q.set("tty_width", String(term.cols));
      if (observer) observer.disconnect();
      observer = new ResizeObserver(() => term.fit());
      observer.observe(term.el);
    }
    showMode();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const protocols = ["appmesh.exec"];
    const token = getToken();
    if (token) protocols.push("appmesh.token." + token);
    ws = new WebSocket(`${scheme}//${location.host}/v1/client/allocation/${encodeURIComponent(a.id)}/exec?${q}`, protocols);
    status.textContent = "Connecting…";
    const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
    ws.addEventListener("open", () => {
      status.textContent = "Connected: " + argv.join(" ") + (tty ? " (terminal: Shift+Tab leaves it)" : "");
      setOpen(true);
      (tty ? term.el : input).focus();
    });
    ws.addEventListener("message", (ev) => {
      const f = JSON.parse(ev.data);
      for (const k of ["stdout", "stderr"]) {
        if (!f[k] || !f[k].data) continue;
        const text = decoders[k].decode(fromBase64(f[k].data), { stream: true });
        if (tty) term.write(text); else out.append(text);
      }
      if (f.result) status.textContent = `The command exited with code ${f.result.exit_code}.`;
      if (f.error) status.textContent = "Error: " + (f.error.message || JSON.stringify(f.error));
      out.scrollTop = out.scrollHeight;
    });
    ws.addEventListener("close", (ev) => {
      setOpen(false);
      if (observer) { observer.disconnect(); observer = null; }
      if (status.textContent.startsWith("Connect")) {
        status.textContent = "The session ended" + (ev.reason ? ": " + ev.reason : " (refused, or the command could not start).");
      }
    });
  });
  const sendLine = () => {
    frame({ stdin: { data: toBase64(input.value + "\n") } });
    input.value = "";
  };
  send.addEventListener("click", sendLine);
  input.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); sendLine(); } });
  close.addEventListener("click", () => frame({ stdin: { close: true } }));
  disconnect.addEventListener("click", () => { if (ws) ws.close(); });
  pageSignal.addEventListener("abort", () => {
    if (ws) ws.close();
    if (observer) observer.disconnect();
  }, { once: true });
  replace(el, h("h2", { id: "alloc-exec" }, "Exec"),
    h("div", { class: "filters" }, h("label", {}, "Task", task),
      h("label", {}, "Command (words, or a JSON list)", command), h("label", {}, "Mode", mode), connect, disconnect),
    status, out, lineRow);
  showMode();
}

// newTerminal makes the session's terminal, replacing the last one.
function newTerminal(old, onData, onResize) {
  if (old) old.el.remove();
  const t = new Terminal(onData, onResize);
  t.el.id = "exec-terminal";
  return t;
}
