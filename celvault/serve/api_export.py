"""/api/export: `celvault export lora|backgrounds|everydream` in a background thread (the same
exporters and requests as the CLI), with a job to poll: state, elapsed time, images written so
far, then the result folder and its dataset.toml."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, Body, Depends

from celvault.errors import CelvaultError

from .deps import state
from .state import AppState

router = APIRouter()

KINDS = ("lora", "backgrounds", "everydream")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


class ExportOptionError(CelvaultError):
    pass


def _list(body: dict, key: str) -> list[str]:
    value = body.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ExportOptionError(f"{key}: a list of strings")
    return [str(v) for v in value if str(v)]


def request_for(kind: str, body: dict):
    """The exporter's request from the JSON options (names as the CLI's options)."""
    common = dict(scenes=_list(body, "scenes"), episodes=_list(body, "episodes"),
                  repeats=str(body.get("repeats", "auto")), captions=str(body.get("captions", "auto")),
                  min_size=int(body.get("min_size") or 0), limit=int(body["limit"]) if body.get("limit") else None)
    if common["repeats"] != "auto" and not (common["repeats"].isdigit() and 1 <= int(common["repeats"]) <= 1000):
        raise ExportOptionError("repeats: auto or a whole number from 1 to 1000")
    if kind == "backgrounds":
        from celvault.exporters.backgrounds import BackgroundRequest

        return BackgroundRequest(str(body.get("trigger") or "bgscene"), str(body.get("class_tokens") or "scenery"),
                                 dedup=bool(body.get("dedup")), resolution=int(body.get("resolution") or 512),
                                 absolute_paths=bool(body.get("absolute_paths")), **common)
    characters = _list(body, "characters")
    if not characters:
        raise ExportOptionError(f"export {kind} needs at least one character")
    fields = dict(characters=characters, triggers=_list(body, "triggers"),
                  class_tokens=str(body.get("class_tokens") or "1person"),
                  layer=str(body.get("layer") or "character"), background=str(body.get("background") or "white"),
                  **common)
    if fields["layer"] not in ("character", "frame") or fields["background"] not in ("white", "keep-alpha", "none"):
        raise ExportOptionError("layer: character|frame; background: white|keep-alpha|none")
    if kind == "lora":
        from celvault.exporters.lora import LoraRequest

        return LoraRequest(**fields, resolution=int(body.get("resolution") or 512),
                           absolute_paths=bool(body.get("absolute_paths")))
    from celvault.exporters.characters import CharacterRequest

    return CharacterRequest(**fields)


def _run(st: AppState, job: dict, kind: str, out: str, req, overwrite: bool) -> None:
    from celvault.exporters.backgrounds import export_backgrounds
    from celvault.exporters.everydream import export_everydream
    from celvault.exporters.lora import export_lora

    run = {"lora": export_lora, "backgrounds": export_backgrounds, "everydream": export_everydream}[kind]
    job["state"] = "running"
    try:
        done = run(st.catalog, st.config, out, req, overwrite)
        toml = Path(done["out"]) / "dataset.toml"
        job.update(result=done, folder=done["out"],
                   dataset_toml=toml.read_text(encoding="utf-8") if toml.is_file() else None, state="done")
    except CelvaultError as exc:
        job.update(state="failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - shown to the user, never a hung job
        job.update(state="failed", error=f"{type(exc).__name__}: {exc}")
    job["finished"] = time.time()


@router.post("/api/export")
def start(body: dict = Body(...), st: AppState = Depends(state)):
    kind, out = body.get("kind"), body.get("out")
    if kind not in KINDS:
        raise ExportOptionError(f"kind: one of {', '.join(KINDS)}")
    if not isinstance(out, str) or not out.strip():
        raise ExportOptionError("out: the folder to write")
    req = request_for(kind, body)
    from celvault.safe_paths import check_export_target

    check_export_target(out, bool(body.get("overwrite")), st.catalog.path)  # refused now, not in the thread
    job = {"job": uuid.uuid4().hex, "kind": kind, "out": str(Path(out).resolve()), "state": "queued",
           "started": time.time(), "finished": None, "error": None, "result": None, "dataset_toml": None}
    st.jobs[job["job"]] = job
    threading.Thread(target=_run, args=(st, job, kind, out, req, bool(body.get("overwrite"))), daemon=True).start()
    return {"job": job["job"], "state": job["state"]}


def _written(out: str) -> int:
    partial = Path(out).parent / f".{Path(out).name}.celvault-partial"
    if not partial.is_dir():
        return 0
    return sum(1 for p in partial.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


@router.get("/api/export/{job_id}")
def poll(job_id: str, st: AppState = Depends(state)):
    job = st.jobs.get(job_id)
    if job is None:
        from .app import NotFound

        raise NotFound(f"no export job {job_id[:40]!r}")
    end = job["finished"] or time.time()
    images = sum(s["images"] for s in job["result"]["subsets"]) if job["result"] else _written(job["out"])
    return {**job, "elapsed_s": round(end - job["started"], 2), "images": images}
