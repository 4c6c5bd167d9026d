"""`celvault serve`: the review app (celvault.serve) on a local port."""

from __future__ import annotations

import click

from .common import load_config
from .options import catalog_options, output_options
from .output import emit

LOCAL = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but 127.0.0.1/localhost needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8700, show_default=True, help="Port to listen on.")
@click.option("--token", default=None, envvar="CELVAULT_SERVE_TOKEN", metavar="T",
              help="Every request must carry it (Authorization: Bearer T, or ?token=T once, then a cookie).")
@catalog_options
@output_options()
def serve(host, port, token, catalog_path, config_path, profile, as_json, quiet):
    """A local web app to review the catalogue: identities (name, merge), frames with their
    layers, near-duplicate groups, search and export; it reads and writes the same catalogue
    through the same library as the CLI, beside a running `celvault run`.

    \b
      celvault serve                       # http://127.0.0.1:8700/
      celvault serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
    """
    from celvault.errors import CelvaultError

    if host not in LOCAL and not token:
        raise CelvaultError(f"--host {host} makes the app reachable from other machines: give --token too "
                            "(or bind 127.0.0.1)")
    if token is not None and len(token) < 8:
        raise CelvaultError("--token: at least 8 characters")
    import uvicorn

    from celvault.serve import create_app

    config = load_config(config_path, profile)
    hosts = None if host in ("0.0.0.0", "::") else tuple({host, *LOCAL, "[::1]"})
    app = create_app(catalog_path, config, token=token, hosts=hosts)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/" + (f"?token={token}" if token else "")
    emit({"url": url, "catalog": str(catalog_path)}, as_json=as_json, lines=[f"celvault serve: {url} (Ctrl-C stops)"])
    uvicorn.run(app, host=host, port=port, log_level="warning" if quiet or as_json else "info")
