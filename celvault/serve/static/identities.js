"use strict";
(function () {
  let offset = 0;
  const grid = document.getElementById("identity-grid");
  const load = cv.guard(async () => {
    const d = await cv.get("/api/identities?limit=60&offset=" + offset);
    document.getElementById("identities-summary").textContent =
      d.total + " identities, " + d.unassigned + " character layers unassigned";
    for (const k of d.identities) {
      const card = cv.el("a", {class: "card", href: "/identities/" + k.cluster_id, "data-testid": "identity-card",
                               "data-cluster": k.cluster_id, id: "identity-" + k.cluster_id});
      card.style.borderColor = k.colour;
      const refs = cv.el("div", {class: "refs"});
      for (const id of k.references) refs.append(cv.el("img", {src: cv.layerImg(id, "s"), alt: "", loading: "lazy"}));
      card.append(refs, cv.el("div", {class: "label", "data-testid": "identity-label"},
                              (k.name || "unnamed") + " #" + k.cluster_id + " (" + k.members + ")"));
      grid.append(card);
    }
    document.getElementById("identities-more").hidden = d.next_offset === null;
    offset = d.next_offset || offset;
  });
  document.getElementById("identities-more").addEventListener("click", load);
  load();
})();
