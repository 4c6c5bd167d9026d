"use strict";
(function () {
  const h1 = document.getElementById("identity-name");
  const cluster = Number(h1.dataset.cluster);
  const selected = new Set();
  const grid = document.getElementById("member-grid");
  let offset = 0;
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
  const others = cv.guard(async () => {
    const sel = document.getElementById("merge-other");
    let off = 0;
    for (;;) {
      const d = await cv.get("/api/identities?limit=500&offset=" + off);
      for (const k of d.identities) {
        if (k.cluster_id !== cluster) sel.append(cv.el("option", {value: k.cluster_id},
                                                        "#" + k.cluster_id + " " + (k.name || "unnamed")));
      }
      if (d.next_offset === null) break;
      off = d.next_offset;
    }
  });
  document.getElementById("merge-form").addEventListener("submit", cv.guard(async (ev) => {
    ev.preventDefault();
    const other = Number(document.getElementById("merge-other").value);
    const done = await cv.post("/api/identities/" + cluster + "/merge", {other: other});
    cv.say("merged cluster " + done.merged + ": " + done.moved_layers + " layers moved");
    window.location.reload();
  }));
  others();
  load();
})();
