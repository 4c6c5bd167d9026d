"use strict";
(function () {
  let offset = 0;
  const load = cv.guard(async () => {
    const d = await cv.get("/api/overview?limit=50&offset=" + offset);
    if (offset === 0) {
      const dl = document.getElementById("overview-totals");
      const ids = d.characters || {};
      for (const [k, v] of [["frames", d.frames], ["layers", d.layers], ["episodes", d.episodes_total],
                            ["identities", ids.identities], ["named", ids.named], ["unassigned layers", ids.unassigned]]) {
        dl.append(cv.el("dt", {}, k), cv.el("dd", {"data-testid": "total-" + k.replace(/ /g, "-")}, v));
      }
      const runs = document.querySelector("#overview-runs tbody");
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
      const stages = Object.entries(e.stages || {}).map(([n, s]) => n + ": " + s.done + " done" +
        (s.missing ? ", " + s.missing + " missing" : "")).join("; ");
      tr.append(cv.el("td", {}, stages));
      body.append(tr);
    }
    const more = document.getElementById("overview-more");
    more.hidden = d.next_offset === null;
    offset = d.next_offset || offset;
  });
  document.getElementById("overview-more").addEventListener("click", load);
  load();
})();
