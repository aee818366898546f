"""Static files under content-hashed names: `/static/js/speak.<hash8>.js`, cached for a year.

Every `url_for('static', filename=...)` gives the hashed name (a `url_defaults` hook, so no
template needs to change), and the file is served with `Cache-Control: public,
max-age=31536000, immutable`. The plain name keeps working with `no-cache` and an ETag, for
pages rendered before a deployment.

References between files are rewritten when the manifest is built, so a cached script never
asks for a stale one: an ES module's `import ... from "./api.js"` becomes `"./api.<hash8>.js"`,
a stylesheet's `url("noto-....woff2")` names the hashed font, and a script's `"/static/x.css"`
literal the hashed stylesheet. (Rewriting was chosen over an import map: an inline import map
would need its own hash in the strict CSP, and it would have to list every module on every page.)
A file's hash covers its own bytes and those of every file it reaches, so changing `api.js`
renames each script that imports it, directly or not.

The manifest is built once per process, at the first request that needs it (in debug mode, again
whenever a file changed). Its bodies are held in memory: the whole folder is a few hundred KB.
"""

from __future__ import annotations

import functools
import hashlib
import mimetypes
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, g, has_request_context, url_for

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASH_LENGTH = 8
_HASHED_NAME = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{8})(?P<suffix>\.[A-Za-z0-9]+)$")
# `from "./x.js"`, `import "./x.js"`, `import("./x.js")`: relative specifiers only.
_JS_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+)\2""")
_JS_STATIC_LITERAL = re.compile(r"""(["'])/static/([^"'\s?#]+)\1""")
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')\s]+)\1\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+(["'])([^"']+)\1""")
# The Noto face a page in a language of this script shows first (ISO 15924 code → file).
_SCRIPT_FONTS = {
    "Deva": "noto-sans-devanagari-400.woff2",
    "Beng": "noto-sans-bengali-400.woff2",
    "Guru": "noto-sans-gurmukhi-400.woff2",
    "Gujr": "noto-sans-gujarati-400.woff2",
    "Orya": "noto-sans-oriya-400.woff2",
    "Taml": "noto-sans-tamil-400.woff2",
    "Telu": "noto-sans-telugu-400.woff2",
    "Knda": "noto-sans-kannada-400.woff2",
    "Mlym": "noto-sans-malayalam-400.woff2",
    "Arab": "noto-naskh-arabic-400.woff2",
}


@dataclass
class Asset:
    """One static file: its plain name, hashed name, served bytes and type."""

    name: str
    hashed_name: str
    digest: str
    body: bytes
    mimetype: str
    imports: list[str] = field(default_factory=list)  # JS modules it imports (plain names)


class Manifest:
    """Every file of the static folder by plain and hashed name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.stamp = _stamp(folder)
        raw = {
            path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }
        refs = {name: _references(name, data, raw) for name, data in raw.items()}
        digests = {name: _closure_digest(name, raw, refs) for name in raw}
        hashed = {name: _hashed_name(name, digests[name]) for name in raw}
        self.by_name: dict[str, Asset] = {}
        self.by_hashed: dict[str, Asset] = {}
        for name, data in raw.items():
            body = _rewrite(name, data, hashed) if refs[name] else data
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            imports = [ref for ref in refs[name] if ref.endswith(".js") and name.endswith(".js")]
            asset = Asset(name, hashed[name], digests[name], body, mimetype, imports)
            self.by_name[name] = asset
            self.by_hashed[hashed[name]] = asset

    def module_graph(self, names: list[str]) -> list[str]:
        """The plain names of the modules `names` import, directly or not (not `names`)."""
        seen: list[str] = []
        stack = [
            dep for name in names if name in self.by_name for dep in self.by_name[name].imports
        ]
        while stack:
            dep = stack.pop(0)
            if dep in seen or dep in names or dep not in self.by_name:
                continue
            seen.append(dep)
            stack.extend(self.by_name[dep].imports)
        return seen


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when a file of the folder does (for the debug-mode rebuild)."""
    return tuple(
        (str(p), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    )


def _hashed_name(name: str, digest: str) -> str:
    path = Path(name)
    if not path.suffix:
        return name
    return str(path.with_name(f"{path.stem}.{digest[:_HASH_LENGTH]}{path.suffix}").as_posix())


def _resolve(name: str, ref: str) -> str | None:
    """The static-folder name `ref` (relative to the file `name`) points at, else None."""
    if ref.startswith(("data:", "http:", "https:", "//", "#")):
        return None
    if ref.startswith("/static/"):
        target = ref[len("/static/") :]
    elif ref.startswith("/"):
        return None
    else:
        parts = [p for p in Path(name).parent.as_posix().split("/") if p and p != "."]
        for piece in ref.split("?")[0].split("#")[0].split("/"):
            if piece == "..":
                if not parts:
                    return None
                parts.pop()
            elif piece not in ("", "."):
                parts.append(piece)
        target = "/".join(parts)
    return target


def _matches(name: str) -> list[tuple[re.Pattern[str], int]]:
    if name.endswith(".js"):
        return [(_JS_IMPORT, 3), (_JS_STATIC_LITERAL, 2)]
    if name.endswith(".css"):
        return [(_CSS_URL, 2), (_CSS_IMPORT, 2)]
    return []


def _references(name: str, data: bytes, raw: dict[str, bytes]) -> list[str]:
    """The static files `name` refers to (only those that exist)."""
    found: list[str] = []
    text = data.decode("utf-8", "replace")
    for pattern, group in _matches(name):
        for match in pattern.finditer(text):
            ref = match.group(group)
            if pattern is _JS_STATIC_LITERAL:
                ref = "/static/" + ref
            target = _resolve(name, ref)
            if target in raw and target not in found:
                found.append(target)
    return found


def _closure_digest(name: str, raw: dict[str, bytes], refs: dict[str, list[str]]) -> str:
    """sha256 of the file and of every file it reaches (well defined with cycles too)."""
    reached, stack = {name}, [name]
    while stack:
        for dep in refs[stack.pop()]:
            if dep not in reached:
                reached.add(dep)
                stack.append(dep)
    h = hashlib.sha256()
    for member in sorted(reached):
        h.update(member.encode() + b"\0" + raw[member] + b"\0")
    return h.hexdigest()


def _rewrite(name: str, data: bytes, hashed: dict[str, str]) -> bytes:
    """`data` with every reference to a static file replaced by its hashed name."""
    text = data.decode("utf-8")
    for pattern, group in _matches(name):
        text = pattern.sub(functools.partial(_swap, name, group=group, hashed=hashed), text)
    return text.encode("utf-8")


def _swap(name: str, match: re.Match[str], *, group: int, hashed: dict[str, str]) -> str:
    """The text of `match` with its reference (`group`) renamed to the hashed name."""
    ref = match.group(group)
    absolute = match.re is _JS_STATIC_LITERAL  # the group is the path after /static/
    target = _resolve(name, "/static/" + ref if absolute else ref)
    if target is None or target not in hashed:
        return match.group(0)
    new = hashed[target] if absolute else ref[: ref.rfind("/") + 1] + Path(hashed[target]).name
    start, end = match.start(group) - match.start(0), match.end(group) - match.start(0)
    return match.group(0)[:start] + new + match.group(0)[end:]


_lock = threading.Lock()
mimetypes.add_type("font/woff2", ".woff2")
mimetypes.add_type("text/javascript", ".js")


def manifest(app: Flask | None = None) -> Manifest:
    """The app's manifest, built at first use (and rebuilt in debug mode when files change)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    current: Manifest | None = app.extensions.get("crowdsource.assets")
    if current is not None and not (app.debug and _stamp(current.folder) != current.stamp):
        return current
    with _lock:
        current = Manifest(Path(app.static_folder or ""))
        app.extensions["crowdsource.assets"] = current
    return current


def serve_static(filename: str) -> Response:
    """A static file by hashed name (cached for a year) or plain name (revalidated)."""
    files = manifest()
    asset = files.by_hashed.get(filename)
    immutable = asset is not None and asset.hashed_name != asset.name
    if asset is None:
        asset = files.by_name.get(filename)
    if asset is None and (stale := _HASHED_NAME.match(filename)):
        # A name from another deployment (a page rendered by an older or newer pod during a
        # roll): this one's copy, revalidated, rather than a page without its script.
        asset = files.by_name.get(stale["stem"] + stale["suffix"])
    if asset is None:
        abort(404)
    response = Response(asset.body, mimetype=asset.mimetype)
    response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    response.set_etag(asset.digest[:16])
    # The compression step (app.web.compression) keys its cache by it, and answers 304s.
    response.asset_digest = asset.digest  # type: ignore[attr-defined]
    return response


def static_url_defaults(endpoint: str, values: dict[str, Any]) -> None:
    """`url_for('static', filename=...)` gives the hashed name, and the page remembers which
    scripts it loads (for its modulepreload links)."""
    if endpoint != "static" or "filename" not in values:
        return
    name = values["filename"]
    asset = manifest().by_name.get(name)
    if asset is None:
        return
    if name.endswith(".js") and has_request_context():
        g.setdefault("page_scripts", []).append(name)
    values["filename"] = asset.hashed_name


def module_preloads(*more: str) -> list[str]:
    """Hashed URLs of the modules the page's scripts so far (and `more`) import, directly or
    not: the page's `<link rel="modulepreload">`s, fetched with its first script."""
    scripts = [*(g.get("page_scripts", []) if has_request_context() else []), *more]
    return [url_for("static", filename=name) for name in manifest().module_graph(scripts)]


def font_preload(script: str | None) -> str | None:
    """Hashed URL of the regular Noto face for a language's script (ISO 15924), if any."""
    font = _SCRIPT_FONTS.get(script or "")
    return url_for("static", filename=f"fonts/{font}") if font else None


def init_app(app: Flask) -> None:
    """Serve the static folder through the manifest and hash every static URL."""
    app.view_functions["static"] = serve_static
    app.url_defaults(static_url_defaults)
    app.jinja_env.globals.update(module_preloads=module_preloads, font_preload=font_preload)
