// boot.js watches the UI start. It is a module of its own with no imports,
// so it runs even when one of main.js's modules fails to load (a dropped
// request, a proxy in the way); main.js marks <html data-booted> once all
// of them ran. If that has not happened after bootPatience, "Loading…" is
// replaced by what happened and a way to try again.
const bootPatience = 10000;

setTimeout(() => {
  if (document.documentElement.dataset.booted === "true") return;
  const main = document.getElementById("main");
  if (!main) return;
  const title = document.createElement("h1");
  title.textContent = "The web UI did not start";
  const why = document.createElement("p");
  why.id = "boot-failed";
  why.textContent = "Its scripts have not all loaded after " + bootPatience / 1000 +
    " seconds: the connection to the agent may have dropped a request. Reloading the page usually helps.";
  const again = document.createElement("button");
  again.type = "button";
  again.id = "boot-reload";
  again.textContent = "Reload";
  again.addEventListener("click", () => location.reload());
  main.replaceChildren(title, why, again);
}, bootPatience);
