"use strict";
(function () {
  const h1 = document.getElementById("identity-name");
  const cluster = Number(h1.dataset.cluster);
  const selected = new Set();
  const grid = document.getElementById("member-grid");
  let offset = 0;
  const label = (id, name) => "cluster " + id + (name ? " (" + name + ")" : "");
  const count = () => { document.getElementById("selected-count").textContent = String(selected.size); };
  const load = cv.guard(async () => {
    const d = await cv.get("/api/identities/" + cluster + "/members?limit=60&offset=" + offset);
    for (const m of d.members) {
      const fig = cv.thumb(cv.layerImg(m.layer_id, "s"), m.distance.toFixed(3),
                           {"data-testid": "member", "data-layer": m.layer_id, tabindex: 0});
      fig.addEventListener("click", () => {
        if (selected.has(m.layer_id)) selected.delete(m.layer_id); else selected.add(m.layer_id);
        fig.classList.toggle("selected", selected.has(m.layer_id));
        count();
      });
      grid.append(fig);
    }
    document.getElementById("members-more").hidden = d.next_offset === null;
    offset = d.next_offset || offset;
  });
  const others = async () => {
    const lists = [document.getElementById("merge-other"), document.getElementById("move-target")];
    for (const sel of lists) sel.replaceChildren();
    let off = 0;
    for (;;) {
      const d = await cv.get("/api/identities?limit=500&offset=" + off);
      for (const k of d.identities) {
        if (k.cluster_id === cluster) continue;
        for (const sel of lists) {
          sel.append(cv.el("option", {value: k.cluster_id}, "#" + k.cluster_id + " " + (k.name || "unnamed")));
        }
      }
      if (d.next_offset === null) break;
      off = d.next_offset;
    }
  };
  // After an action: the identity's header, its members from the start, the other identities.
  const refresh = async () => {
    selected.clear();
    count();
    grid.replaceChildren();
    offset = 0;
    const r = await fetch("/api/identities/" + cluster, {credentials: "same-origin"});
    const gone = r.status === 404;
    document.getElementById("decision-actions").dataset.gone = gone ? "1" : "";
    if (gone) {
      document.getElementById("identity-size").textContent = "this identity has no members now";
      document.getElementById("members-more").hidden = true;
    } else {
      const row = await r.json();
      h1.textContent = row.name || "cluster " + row.cluster_id;
      document.getElementById("identity-size").textContent = row.members + " layers";
      await load();
    }
    await others();
  };
  const act = (fn) => cv.guard(async (ev) => {
    if (ev) ev.preventDefault();
    const text = await fn();
    await refresh();
    cv.say(text);
  });
  const chosen = () => {
    if (!selected.size) throw new Error("select members first (click their cut-outs)");
    return Array.from(selected);
  };
  document.getElementById("members-more").addEventListener("click", load);
  document.getElementById("select-none").addEventListener("click", () => {
    selected.clear();
    grid.querySelectorAll(".selected").forEach((f) => f.classList.remove("selected"));
    count();
  });
  document.getElementById("name-form").addEventListener("submit", cv.guard(async (ev) => {
    ev.preventDefault();
    const done = await cv.post("/api/identities/" + cluster + "/name",
                               {name: document.getElementById("name-input").value});
    h1.textContent = done.name;
    cv.say("cluster " + done.cluster_id + " is now " + done.name);
  }));
  document.getElementById("merge-form").addEventListener("submit", act(async () => {
    const other = Number(document.getElementById("merge-other").value);
    const done = await cv.post("/api/identities/" + cluster + "/merge", {other: other});
    return "merged cluster " + done.merged + ": " + done.moved_layers + " layers moved";
  }));
  document.getElementById("move-form").addEventListener("submit", act(async () => {
    const to = Number(document.getElementById("move-target").value);
    const done = await cv.post("/api/identities/" + cluster + "/move", {layers: chosen(), to: to});
    return "moved " + done.moved + " layers to " + label(done.cluster_id, done.name) +
      (done.removed.length ? "; cluster " + done.removed.join(", ") + " removed (no layers left)" : "");
  }));
  document.getElementById("split-form").addEventListener("submit", act(async () => {
    const name = document.getElementById("split-name").value.trim();
    const done = await cv.post("/api/identities/split", {layers: chosen(), name: name || null});
    document.getElementById("split-name").value = "";
    return "split " + done.members + " layers off as " + label(done.cluster_id, done.name);
  }));
  document.getElementById("junk-selected").addEventListener("click", act(async () => {
    const done = await cv.post("/api/layers/not-character", {layers: chosen(), value: true});
    return "marked " + done.marked + " layers not a character";
  }));
  document.getElementById("junk-identity").addEventListener("click", act(async () => {
    const done = await cv.post("/api/identities/" + cluster + "/not-character", {});
    return "cluster " + cluster + " marked not a character (" + done.marked + " layers)";
  }));
  document.getElementById("undo-button").addEventListener("click", act(async () => {
    const done = await cv.post("/api/undo", {});
    return "undid " + done.undone + " (decision " + done.decision_id + ")";
  }));
  others().catch((err) => cv.say(err.message, true));
  load();
})();
