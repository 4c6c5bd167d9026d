// Shared helpers. Text from the catalogue is always set with textContent, never innerHTML.
"use strict";
const cv = {
  async get(path) {
    const r = await fetch(path, {credentials: "same-origin"});
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  },
  async post(path, data) {
    const r = await fetch(path, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Celvault": "1"}, body: JSON.stringify(data || {})});
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  },
  el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? "" : String(v));
    }
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  },
  say(text, bad) {
    const m = document.getElementById("message");
    m.textContent = text || "";
    m.className = bad ? "bad" : "";
  },
  frameImg(id, size) { return "/media/frame/" + encodeURIComponent(id) + "?size=" + (size || "s"); },
  layerImg(id, size) { return "/media/layer/" + encodeURIComponent(id) + "?size=" + (size || "s"); },
  thumb(src, label, attrs) {
    const fig = cv.el("figure", Object.assign({class: "thumb"}, attrs || {}));
    fig.append(cv.el("img", {src: src, alt: label || "", loading: "lazy"}));
    if (label) fig.append(cv.el("figcaption", {}, label));
    return fig;
  },
  guard(fn) {
    return async (...args) => {
      try { await fn(...args); } catch (err) { cv.say(err.message, true); }
    };
  },
};
