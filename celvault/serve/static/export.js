"use strict";
(function () {
  const form = document.getElementById("export-form");
  const val = (id) => document.getElementById(id).value.trim();
  const list = (id) => val(id).split(",").map((s) => s.trim()).filter(Boolean);
  const progress = document.getElementById("export-progress");
  const poll = cv.guard(async (job) => {
    const d = await cv.get("/api/export/" + job);
    progress.textContent = d.state + " - " + d.images + " images, " + d.elapsed_s + " s" + (d.error ? ": " + d.error : "");
    progress.dataset.state = d.state;
    if (d.state === "done") {
      document.getElementById("export-folder").textContent = d.folder;
      document.getElementById("export-toml").textContent = d.dataset_toml || "(no dataset.toml for this layout)";
    } else if (d.state !== "failed") {
      setTimeout(() => poll(job), 500);
    }
  });
  form.addEventListener("submit", cv.guard(async (ev) => {
    ev.preventDefault();
    const kind = val("export-kind");
    const body = {kind: kind, out: val("export-out"), characters: list("export-characters"),
      triggers: list("export-triggers"), scenes: list("export-scenes"), episodes: list("export-episodes"),
      layer: val("export-layer"), background: val("export-background"), repeats: val("export-repeats") || "auto",
      captions: val("export-captions"), min_size: Number(val("export-min-size") || 0),
      limit: val("export-limit") ? Number(val("export-limit")) : null,
      resolution: Number(val("export-resolution") || 512),
      dedup: document.getElementById("export-dedup").checked,
      overwrite: document.getElementById("export-overwrite").checked};
    if (val("export-class")) body.class_tokens = val("export-class");
    if (kind === "backgrounds" && body.triggers.length) body.trigger = body.triggers[0];
    document.getElementById("export-folder").textContent = "";
    document.getElementById("export-toml").textContent = "";
    progress.dataset.state = "queued";
    const started = await cv.post("/api/export", body);
    progress.textContent = started.state;
    poll(started.job);
  }));
})();
