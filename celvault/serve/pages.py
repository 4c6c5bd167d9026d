"""The pages: a server-rendered shell (navigation, the page's fixed controls, stable ids) and one
small script per page that fills it from the JSON API. Anything from the catalogue that the
server writes into HTML goes through html.escape; the scripts set text with textContent."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from .deps import state
from .state import AppState

router = APIRouter()

NAV = [("overview", "/", "Overview"), ("identities", "/identities", "Identities"), ("frames", "/frames", "Frames"),
       ("duplicates", "/duplicates", "Duplicates"), ("search", "/search", "Search"), ("export", "/export", "Export")]


def shell(page: str, title: str, body: str, st: AppState) -> HTMLResponse:
    links = "".join(f'<a href="{href}" id="nav-{key}" data-testid="nav-{key}"'
                    f'{" aria-current=page" if key == page else ""}>{label}</a>' for key, href, label in NAV)
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} - celvault</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/app.css"></head>
<body data-page="{page}">
<header><strong>celvault</strong> <span id="catalog-path" class="muted">{escape(str(st.catalog_path))}</span>
<nav>{links}</nav></header>
<div id="message" data-testid="message" role="status"></div>
<main id="page-{page}" data-testid="page-{page}">
{body}
</main>
<script src="/static/common.js"></script>
<script src="/static/{page}.js"></script>
</body></html>"""
    return HTMLResponse(html)


@router.get("/", response_class=HTMLResponse)
def overview_page(st: AppState = Depends(state)):
    return shell("overview", "Overview", """<h1>Overview</h1>
<section><h2>Manual decisions</h2><button id="undo-button" data-testid="undo-button" type="button"
title="Undoes the last name, merge, move, split or not-a-character mark; unlink and represent are not undone">Undo
last identity action</button><ol id="decision-list" data-testid="decision-list" reversed></ol></section>
<section><h2>Totals</h2><dl id="overview-totals" data-testid="overview-totals"></dl></section>
<section><h2>Episodes</h2><table id="overview-episodes" data-testid="overview-episodes"><thead><tr>
<th>episode</th><th>frames kept</th><th>shots</th><th>stages</th></tr></thead><tbody></tbody></table>
<button id="overview-more" data-testid="overview-more" hidden>More episodes</button></section>
<section><h2>Latest runs</h2><table id="overview-runs" data-testid="overview-runs"><thead><tr>
<th>stage</th><th>backend</th><th>status</th><th>rows</th><th>started</th><th>finished</th><th>settings</th>
</tr></thead><tbody></tbody></table></section>""", st)


@router.get("/identities", response_class=HTMLResponse)
def identities_page(st: AppState = Depends(state)):
    return shell("identities", "Identities", """<h1>Identities</h1>
<p id="identities-summary" data-testid="identities-summary"></p>
<div id="identity-grid" data-testid="identity-grid" class="grid"></div>
<button id="identities-more" data-testid="identities-more" hidden>More</button>""", st)


@router.get("/identities/{cluster_id}", response_class=HTMLResponse)
def identity_page(cluster_id: int, st: AppState = Depends(state)):
    from celvault.catalog.characters import read_characters
    from celvault.catalog.identities import resolve

    row = resolve(read_characters(st.catalog), str(cluster_id))
    label = row["name"] or f"cluster {row['cluster_id']}"
    return shell("identity", label, f"""<h1 id="identity-name" data-testid="identity-name"
 data-cluster="{row['cluster_id']}">{escape(label)}</h1>
<p id="identity-size" data-testid="identity-size">{row['members']} layers</p>
<form id="name-form" data-testid="name-form"><label>Name <input id="name-input" data-testid="name-input"
 value="{escape(row['name'] or '')}" autocomplete="off"></label>
<button id="name-save" data-testid="name-save" type="submit">Save name</button></form>
<form id="merge-form" data-testid="merge-form"><label>Merge into this one: cluster
<select id="merge-other" data-testid="merge-other"></select></label>
<button id="merge-button" data-testid="merge-button" type="submit">Merge</button></form>
<div id="decision-actions" data-testid="decision-actions">
<form id="move-form" data-testid="move-form"><label>Move selected to
<select id="move-target" data-testid="move-target"></select></label>
<button id="move-button" data-testid="move-button" type="submit">Move</button></form>
<form id="split-form" data-testid="split-form"><label>Split selected off as a new identity, named
<input id="split-name" data-testid="split-name" placeholder="(optional)" autocomplete="off"></label>
<button id="split-button" data-testid="split-button" type="submit">Split</button></form>
<button id="junk-selected" data-testid="junk-selected" type="button">Mark selected not a character</button>
<button id="junk-identity" data-testid="junk-identity" type="button">Mark this identity not a character</button>
<button id="undo-button" data-testid="undo-button" type="button"
title="Undoes the last name, merge, move, split or not-a-character mark">Undo last identity action</button></div>
<p><span id="selected-count" data-testid="selected-count">0</span> selected
<button id="select-none" data-testid="select-none" type="button">Select none</button></p>
<div id="member-grid" data-testid="member-grid" class="grid"></div>
<button id="members-more" data-testid="members-more" hidden>More members</button>""", st)


@router.get("/frames", response_class=HTMLResponse)
def frames_page(st: AppState = Depends(state)):
    return shell("frames", "Frames", """<h1>Frames</h1>
<label>Episode <select id="episode-select" data-testid="episode-select"></select></label>
<div id="timeline" data-testid="timeline" class="timeline"></div>
<div class="split"><div><div id="frame-strip" data-testid="frame-strip" class="grid small"></div>
<button id="frames-more" data-testid="frames-more" hidden>More frames</button></div>
<section id="frame-detail" data-testid="frame-detail" hidden>
<label><input type="checkbox" id="background-toggle" data-testid="background-toggle"> inpainted background</label>
<div id="frame-view" data-testid="frame-view" class="frame-view"><img id="frame-image" data-testid="frame-image" alt=""></div>
<dl id="frame-info" data-testid="frame-info"></dl>
<ul id="frame-layers" data-testid="frame-layers"></ul></section></div>""", st)


@router.get("/duplicates", response_class=HTMLResponse)
def duplicates_page(st: AppState = Depends(state)):
    return shell("duplicates", "Duplicates", """<h1>Near-duplicate groups</h1>
<p id="duplicates-summary" data-testid="duplicates-summary"></p>
<div id="duplicate-groups" data-testid="duplicate-groups"></div>
<button id="duplicates-more" data-testid="duplicates-more" hidden>More groups</button>""", st)


@router.get("/search", response_class=HTMLResponse)
def search_page(st: AppState = Depends(state)):
    return shell("search", "Search", """<h1>Search</h1>
<form id="search-form" data-testid="search-form" class="filters">
<label>Character <input id="search-character" data-testid="search-character" name="character"></label>
<label>Scene <input id="search-scene" data-testid="search-scene" name="scene"></label>
<label>Episode <input id="search-episode" data-testid="search-episode" name="episode"></label>
<label>Words <input id="search-words" data-testid="search-words" name="words"></label>
<label>Where <input id="search-where" data-testid="search-where" name="where"></label>
<label>Text <input id="search-text" data-testid="search-text" name="text"></label>
<label><input type="checkbox" id="search-layers" data-testid="search-layers" name="layers"> layers</label>
<label><input type="checkbox" id="search-duplicates" data-testid="search-duplicates" name="include_duplicates">
 include duplicates</label>
<button id="search-run" data-testid="search-run" type="submit">Search</button></form>
<p>CLI: <code id="search-command" data-testid="search-command"></code></p>
<p id="search-matched" data-testid="search-matched"></p>
<div id="search-results" data-testid="search-results" class="grid"></div>
<div id="search-sentinel" data-testid="search-sentinel"></div>""", st)


@router.get("/export", response_class=HTMLResponse)
def export_page(st: AppState = Depends(state)):
    return shell("export", "Export", """<h1>Export a training set</h1>
<form id="export-form" data-testid="export-form" class="filters">
<label>Kind <select id="export-kind" data-testid="export-kind" name="kind"><option>lora</option>
<option>backgrounds</option><option>everydream</option></select></label>
<label>Out folder <input id="export-out" data-testid="export-out" name="out" required></label>
<label>Characters (comma-separated) <input id="export-characters" data-testid="export-characters"></label>
<label>Triggers (comma-separated) <input id="export-triggers" data-testid="export-triggers"></label>
<label>Class <input id="export-class" data-testid="export-class"></label>
<label>Scenes <input id="export-scenes" data-testid="export-scenes"></label>
<label>Episodes <input id="export-episodes" data-testid="export-episodes"></label>
<label>Layer <select id="export-layer" data-testid="export-layer"><option>character</option><option>frame</option></select></label>
<label>Background <select id="export-background" data-testid="export-background"><option>white</option>
<option>keep-alpha</option><option>none</option></select></label>
<label>Repeats <input id="export-repeats" data-testid="export-repeats" value="auto"></label>
<label>Captions <select id="export-captions" data-testid="export-captions"><option>auto</option><option>blip</option>
<option>wd14</option><option>both</option><option>none</option></select></label>
<label>Min size <input id="export-min-size" data-testid="export-min-size" type="number" value="0"></label>
<label>Limit <input id="export-limit" data-testid="export-limit" type="number"></label>
<label>Resolution <input id="export-resolution" data-testid="export-resolution" type="number" value="512"></label>
<label><input type="checkbox" id="export-dedup" data-testid="export-dedup"> one background per shot</label>
<label><input type="checkbox" id="export-overwrite" data-testid="export-overwrite"> overwrite an earlier export</label>
<button id="export-run" data-testid="export-run" type="submit">Export</button></form>
<p id="export-progress" data-testid="export-progress"></p>
<p>Folder: <code id="export-folder" data-testid="export-folder"></code></p>
<pre id="export-toml" data-testid="export-toml"></pre>""", st)
