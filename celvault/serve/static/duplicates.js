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
      const fig = cv.thumb(cv.frameImg(m.frame_id, "s"), m.frame_id, {"data-testid": "duplicate-member",
                                                                        "data-frame": m.frame_id});
      const unlink = cv.el("button", {type: "button", id: "duplicate-unlink-" + m.frame_id,
                                      class: "duplicate-unlink", "data-testid": "duplicate-unlink", "data-frame": m.frame_id}, "Unlink");
      const represent = cv.el("button", {type: "button", id: "duplicate-represent-" + m.frame_id,
                                         class: "duplicate-represent", "data-testid": "duplicate-represent",
                                         "data-frame": m.frame_id}, "Make representative");
      unlink.addEventListener("click", act(async () => {
        const done = await cv.post("/api/duplicates/" + encodeURIComponent(m.frame_id) + "/unlink", {});
        return "frame " + done.frame_id + " unlinked from the group of " + done.was_duplicate_of +
          "; later stages fill it on the next run";
      }));
      represent.addEventListener("click", act(async () => {
        const done = await cv.post("/api/duplicates/" + encodeURIComponent(m.frame_id) + "/represent", {});
        return "frame " + done.frame_id + " now represents its group of " + done.members + " frames (was " +
          done.previous + ")";
      }));
      fig.append(unlink, represent);
      row.append(fig);
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
  // After an action: the groups again from the first page, then what happened.
  function act(fn) {
    return cv.guard(async () => {
      const text = await fn();
      box.replaceChildren();
      seen.clear();
      after = null;
      await load();
      cv.say(text);
    });
  }
  document.getElementById("duplicates-more").addEventListener("click", load);
  load();
})();
