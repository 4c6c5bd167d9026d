"use strict";
(function () {
  const box = document.getElementById("duplicate-groups");
  const seen = new Set();
  let after = null;
  const card = cv.guard(async (rep) => {
    const g = await cv.get("/api/duplicates/" + encodeURIComponent(rep));
    const sec = cv.el("section", {class: "group", "data-testid": "duplicate-group", "data-group": rep});
    sec.append(cv.el("h3", {}, "group " + rep + ": " + (g.total + 1) + " frames"));
    const row = cv.el("div", {class: "grid small"});
    row.append(cv.thumb(cv.frameImg(rep, "s"), "representative", {"data-testid": "duplicate-representative",
                                                                    "data-frame": rep, class: "thumb rep"}));
    for (const m of g.members) {
      row.append(cv.thumb(cv.frameImg(m.frame_id, "s"), m.frame_id, {"data-testid": "duplicate-member",
                                                                       "data-frame": m.frame_id}));
    }
    sec.append(row);
    box.append(sec);
  });
  const load = cv.guard(async () => {
    const d = await cv.get("/api/duplicates?limit=20" + (after ? "&after=" + encodeURIComponent(after) : ""));
    for (const g of d.groups) {
      if (seen.has(g.representative)) continue;
      seen.add(g.representative);
      await card(g.representative);
    }
    document.getElementById("duplicates-summary").textContent = seen.size ? seen.size + " groups shown"
                                                                           : (d.note || "no near-duplicates");
    after = d.next_after;
    document.getElementById("duplicates-more").hidden = !after;
  });
  document.getElementById("duplicates-more").addEventListener("click", load);
  load();
})();
