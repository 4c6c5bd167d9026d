"use strict";
(function () {
  let offset = 0;
  const describe = (d) => {
    const p = d.params || {};
    const n = (p.layer_ids || []).length;
    switch (d.action) {
      case "name": return "named cluster " + p.cluster_id + " " + (p.name || "");
      case "merge": return "merged cluster " + p.other + " into cluster " + p.keep;
      case "move": return "moved " + n + " layers to cluster " + p.to;
      case "split": return "split " + n + " layers off" + (p.name ? " as " + p.name : "");
      case "mark": return (p.value ? "marked " : "unmarked ") + n + " layers not a character" +
        (p.identity !== undefined && p.identity !== null ? " (cluster " + p.identity + ")" : "");
      case "unlink": return "unlinked frame " + p.frame_id;
      case "represent": return "frame " + p.frame_id + " made representative";
      default: return d.action + " " + JSON.stringify(p);
    }
  };
  const decisions = cv.guard(async () => {
    const d = await cv.get("/api/decisions?limit=10");
    const list = document.getElementById("decision-list");
    list.replaceChildren();
    list.setAttribute("start", String(d.total));
    for (const x of d.decisions) {
      const lasting = x.action === "unlink" || x.action === "represent" ? " (not undoable)" : "";
      list.append(cv.el("li", {"data-testid": "decision-row", "data-action": x.action},
                        describe(x) + lasting + " - " + (x.made_at || "")));
    }
  });
  const load = cv.guard(async () => {
    const d = await cv.get("/api/overview?limit=50&offset=" + offset);
    if (offset === 0) {
      const dl = document.getElementById("overview-totals");
      dl.replaceChildren();
      document.querySelector("#overview-episodes tbody").replaceChildren();
      const ids = d.characters || {};
      for (const [k, v] of [["frames", d.frames], ["layers", d.layers], ["episodes", d.episodes_total],
                            ["identities", ids.identities], ["named", ids.named], ["unassigned layers", ids.unassigned]]) {
        dl.append(cv.el("dt", {}, k), cv.el("dd", {"data-testid": "total-" + k.replace(/ /g, "-")}, v));
      }
      const runs = document.querySelector("#overview-runs tbody");
      runs.replaceChildren();
      for (const r of d.runs) {
        const tr = cv.el("tr", {"data-testid": "run-row"});
        for (const v of [r.stage, r.backend, r.status, r.rows_done, r.started, r.finished, r.params]) {
          tr.append(cv.el("td", {}, v));
        }
        runs.append(tr);
      }
    }
    const body = document.querySelector("#overview-episodes tbody");
    for (const e of d.episodes) {
      const tr = cv.el("tr", {"data-testid": "episode-row", "data-episode": e.episode_id});
      tr.append(cv.el("td", {}, e.name || e.episode_id), cv.el("td", {}, e.frames_kept), cv.el("td", {}, e.shots));
      const cell = cv.el("td", {"data-testid": "episode-stages"}, "...");
      tr.append(cell);
      body.append(tr);
      // an episode's stage progress is counted on the indexes, one episode at a time
      cv.get("/api/episodes/" + encodeURIComponent(e.episode_id) + "/progress").then((p) => {
        cell.textContent = Object.entries(p.stages || {}).map(([n, s]) => n + ": " + s.done + " done" +
          (s.missing ? ", " + s.missing + " missing" : "")).join("; ");
      }).catch(() => { cell.textContent = "-"; });
    }
    const more = document.getElementById("overview-more");
    more.hidden = d.next_offset === null;
    offset = d.next_offset || offset;
  });
  document.getElementById("overview-more").addEventListener("click", load);
  document.getElementById("undo-button").addEventListener("click", cv.guard(async () => {
    const done = await cv.post("/api/undo", {});
    offset = 0;
    await load();
    await decisions();
    cv.say("undid " + done.undone + " (decision " + done.decision_id + ")");
  }));
  load();
  decisions();
})();
