// Exec: run a command in a task over the agent's WebSocket
// (/v1/client/allocation/<id>/exec), line by line: what you type goes to
// the command's stdin, its stdout and stderr come back. The token travels
// as a WebSocket subprotocol, never in the URL (browsers cannot set
// headers on a WebSocket).
import { h, replace } from "./dom.js";
import { getToken } from "./auth.js";

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
  const status = h("p", { id: "exec-status", "aria-live": "polite", class: "note" }, "Not connected.");
  const out = h("pre", { class: "log", id: "exec-output", tabindex: "0", "aria-label": "Command output" });
  const input = h("input", { id: "exec-input", size: 50, disabled: true, "aria-label": "Input line", autocomplete: "off" });
  const send = h("button", { type: "button", id: "exec-send", disabled: true }, "Send line");
  const close = h("button", { type: "button", id: "exec-close", disabled: true }, "Close input");
  const connect = h("button", { type: "button", id: "exec-connect", class: "primary" }, "Connect");
  let ws = null;
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const setOpen = (open) => {
    input.disabled = send.disabled = close.disabled = !open;
    connect.disabled = open;
  };
  const frame = (f) => { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(f)); };
  connect.addEventListener("click", () => {
    let argv;
    try {
      argv = command.value.trim().startsWith("[") ? JSON.parse(command.value) : command.value.trim().split(/\s+/);
    } catch (err) {
      status.textContent = "The command is not a JSON list: " + err.message;
      return;
    }
    out.textContent = "";
    const q = new URLSearchParams({ task: task.value, command: JSON.stringify(argv) });
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const protocols = ["appmesh.exec"];
    const token = getToken();
    if (token) protocols.push("appmesh.token." + token);
    ws = new WebSocket(`${scheme}//${location.host}/v1/client/allocation/${encodeURIComponent(a.id)}/exec?${q}`, protocols);
    status.textContent = "Connecting…";
    ws.addEventListener("open", () => { status.textContent = "Connected: " + argv.join(" "); setOpen(true); input.focus(); });
    ws.addEventListener("message", (ev) => {
      const f = JSON.parse(ev.data);
      for (const k of ["stdout", "stderr"]) {
        if (f[k] && f[k].data) out.append(decoders[k].decode(fromBase64(f[k].data), { stream: true }));
      }
      if (f.result) status.textContent = `The command exited with code ${f.result.exit_code}.`;
      if (f.error) status.textContent = "Error: " + (f.error.message || JSON.stringify(f.error));
      out.scrollTop = out.scrollHeight;
    });
    ws.addEventListener("close", (ev) => {
      setOpen(false);
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
  pageSignal.addEventListener("abort", () => { if (ws) ws.close(); }, { once: true });
  replace(el, h("h2", { id: "alloc-exec" }, "Exec"),
    h("div", { class: "filters" }, h("label", {}, "Task", task),
      h("label", {}, "Command (words, or a JSON list)", command), connect),
    status, out,
    h("div", { class: "filters" }, input, send, close));
}
