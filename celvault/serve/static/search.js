"use strict";
(function () {
  const form = document.getElementById("search-form");
  const results = document.getElementById("search-results");
  let base = null, after = null, busy = false;
  const params = () => {
    const p = new URLSearchParams();
    for (const name of ["character", "scene", "episode"]) {
      for (const v of form.elements[name].value.split(",").map((s) => s.trim()).filter(Boolean)) p.append(name, v);
    }
    for (const name of ["words", "where", "text"]) if (form.elements[name].value.trim()) p.set(name, form.elements[name].value.trim());
    if (form.elements.layers.checked) p.set("layers", "true");
    if (form.elements.include_duplicates.checked) p.set("include_duplicates", "true");
    p.set("limit", "48");
    return p;
  };
  const more = cv.guard(async () => {
    if (busy || base === null) return;
    busy = true;
    try {
      const p = new URLSearchParams(base);
      if (after) p.set("after", after);
      const d = await cv.get("/api/search?" + p.toString());
      if (!after) {
        document.getElementById("search-command").textContent = d.command;
        document.getElementById("search-matched").textContent =
          d.matched === null ? "" : d.matched + " " + d.kind + " match";
      }
      for (const r of d.rows) {
        const id = d.kind === "layers" ? r.layer_id : r.frame_id;
        const label = (r.episode || "") + (r.time_s !== null && r.time_s !== undefined ? " " + r.time_s.toFixed(2) + "s" : "");
        const src = d.kind === "layers" ? cv.layerImg(id, "s") : cv.frameImg(id, "s");
        const fig = cv.thumb(src, label, {"data-testid": "search-result", "data-id": id});
        if (d.kind === "frames") fig.addEventListener("click", () => { location.href = "/frames?frame=" + encodeURIComponent(id); });
        results.append(fig);
      }
      after = d.next_after;
      if (!after) base = null;
    } finally { busy = false; }
  });
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    cv.say("");
    results.replaceChildren();
    base = params().toString(); after = null;
    more();
  });
  new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) more(); })
    .observe(document.getElementById("search-sentinel"));
  // a search given in the address (e.g. a frame's "whole track" link) fills the form and runs
  const start = new URLSearchParams(location.search);
  if ([...start.keys()].length) {
    for (const name of ["character", "scene", "episode", "words", "where", "text"]) {
      if (start.has(name)) form.elements[name].value = start.getAll(name).join(", ");
    }
    form.elements.layers.checked = start.get("layers") === "true";
    form.requestSubmit();
  }
})();
