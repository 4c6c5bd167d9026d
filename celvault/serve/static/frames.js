"use strict";
(function () {
  const select = document.getElementById("episode-select");
  const strip = document.getElementById("frame-strip");
  let state = {episode: null, shot: null, after: null};

  const showFrame = cv.guard(async (id) => {
    const f = await cv.get("/api/frames/" + encodeURIComponent(id));
    document.getElementById("frame-detail").hidden = false;
    const view = document.getElementById("frame-view");
    view.querySelectorAll(".box").forEach((b) => b.remove());
    const img = document.getElementById("frame-image");
    const toggle = document.getElementById("background-toggle");
    toggle.disabled = !f.background;
    const paint = () => { img.src = toggle.checked && f.background ? cv.layerImg(f.background, "full")
                                                                     : cv.frameImg(f.frame_id, "full"); };
    toggle.onchange = paint;
    paint();
    const list = document.getElementById("frame-layers");
    list.replaceChildren();
    for (const l of f.layers) {
      let who = "";
      if (l.kind === "character") {
        who = l.identity || (l.cluster_id >= 0 ? "#" + l.cluster_id : "unassigned");
        if (l.track_id) who += ", track " + l.track_id;
        if (l.effect_overlap) who += ", " + Math.round(100 * l.effect_overlap) + "% under effects";
      } else if (l.kind === "effect") {
        who = (l.effect || "effect") + (l.score !== null && l.score !== undefined ? " (" + l.score.toFixed(2) + ")" : "");
      }
      const li = cv.el("li", {"data-testid": "frame-layer", "data-layer": l.layer_id, "data-kind": l.kind,
                              "data-track": l.track_id || ""},
                       l.kind + " " + l.layer_id + (who ? " - " + who : ""));
      if (l.track_id) {  // the whole track: its layers through the shot, in frame order
        li.append(" ", cv.el("a", {"data-testid": "track-link", href: "/search?layers=true&where=" +
                                   encodeURIComponent("track_id = '" + l.track_id + "'")}, "whole track"));
      }
      list.append(li);
      if ((l.kind !== "character" && l.kind !== "effect") || !l.bbox) continue;
      const [x0, y0, x1, y1] = l.bbox;
      const box = cv.el("div", {class: l.kind === "effect" ? "box effect" : "box", "data-testid": "layer-box",
                                "data-layer": l.layer_id, "data-kind": l.kind, title: who});
      box.style.left = (100 * x0 / f.width) + "%";
      box.style.top = (100 * y0 / f.height) + "%";
      box.style.width = (100 * (x1 - x0) / f.width) + "%";
      box.style.height = (100 * (y1 - y0) / f.height) + "%";
      if (l.kind === "character") box.style.borderColor = l.colour || "#999";  // effects: dashed yellow (app.css)
      view.append(box);
    }
    const info = document.getElementById("frame-info");
    info.replaceChildren();
    const rows = [["frame", f.frame_id], ["time", f.time_s !== undefined ? f.time_s.toFixed(2) + " s" : ""],
      ["shot", f.shot_index], ["sharpness", f.sharpness !== undefined && f.sharpness !== null ? f.sharpness.toFixed(1) : ""],
      ["characters", (f.character_names || []).join(", ")], ["caption", f.caption || ""],
      ["tags", (f.tags || []).join(", ")], ["scene tags", (f.scene_tags || []).join(", ")],
      ["dup group", f.dup_group ? f.dup_group + " (" + f.dup_members + " frames)" + (f.dup_of ? ", dup of " + f.dup_of : "") : ""]];
    for (const [k, v] of rows) {
      info.append(cv.el("dt", {}, k), cv.el("dd", {"data-testid": "info-" + k.replace(/ /g, "-")}, v));
    }
  });

  const loadFrames = cv.guard(async () => {
    let q = "/api/frames?limit=60&episode=" + encodeURIComponent(state.episode);
    if (state.shot !== null) q += "&shot=" + state.shot;
    if (state.after) q += "&after=" + encodeURIComponent(state.after);
    const d = await cv.get(q);
    for (const f of d.frames) {
      const fig = cv.thumb(cv.frameImg(f.frame_id, "s"), f.time_s.toFixed(2) + "s",
                           {"data-testid": "frame-thumb", "data-frame": f.frame_id, tabindex: 0});
      fig.addEventListener("click", () => showFrame(f.frame_id));
      strip.append(fig);
    }
    state.after = d.next_after;
    document.getElementById("frames-more").hidden = !d.next_after;
  });

  const pickShot = (shot) => {
    state.shot = shot; state.after = null; strip.replaceChildren();
    document.querySelectorAll("#timeline .shot").forEach((s) => s.classList.toggle("current", Number(s.dataset.shot) === shot));
    loadFrames();
  };

  const loadEpisode = cv.guard(async () => {
    state.episode = select.value;
    const d = await cv.get("/api/episodes/" + encodeURIComponent(state.episode) + "/shots");
    const line = document.getElementById("timeline");
    line.replaceChildren();
    const total = Math.max(...d.shots.map((s) => s.end_s), 0.001);
    for (const s of d.shots) {
      const b = cv.el("button", {class: "shot", type: "button", "data-testid": "timeline-shot", "data-shot": s.shot_index,
                                 title: "shot " + s.shot_index + ": " + s.frames + " frames"}, s.shot_index);
      b.style.flexGrow = String(Math.max(s.end_s - s.start_s, total / 200));
      b.addEventListener("click", () => pickShot(s.shot_index));
      line.append(b);
    }
    pickShot(d.shots.length ? d.shots[0].shot_index : null);
  });

  cv.guard(async () => {
    const d = await cv.get("/api/episodes?limit=500");
    for (const e of d.episodes) select.append(cv.el("option", {value: e.episode_id}, e.name || e.episode_id));
    select.addEventListener("change", loadEpisode);
    document.getElementById("frames-more").addEventListener("click", loadFrames);
    const wanted = new URLSearchParams(location.search).get("frame");
    if (d.episodes.length) await loadEpisode();
    if (wanted) showFrame(wanted);
  })();
})();
