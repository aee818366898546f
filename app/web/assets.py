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

A page loads one script: the bundle of its entry modules and everything they import
(`/static/bundles/speak~locale-switch~offline.<hash8>.js`), built here from the same files. Over
HTTP/1.1 a browser opens 6 connections per host, so a page of 20 modules waited for them in
four rounds of the network's round trip (2 s each on Slow 3G); the bundle is one request. The
bundle stays an ES module (top-level await works); each module's body runs in its own block,
in dependency order, and hands its exports to the modules after it.

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

from flask import Flask, Response, abort, current_app, g, url_for

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
_HASH_LENGTH = 8
_HASHED_NAME = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{8})(?P<suffix>\.[A-Za-z0-9]+)$")
# `from "./x.js"`, `import "./x.js"`, `import("./x.js")`: relative specifiers only.
_JS_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+)\2""")
_JS_STATIC_LITERAL = re.compile(r"""(["'])/static/([^"'\s?#]+)\1""")
_CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')\s]+)\1\s*\)""")
_CSS_IMPORT = re.compile(r"""@import\s+(["'])([^"']+)\1""")


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
        self._bundles: dict[tuple[str, ...], Asset] = {}
        self.by_name: dict[str, Asset] = {}
        self.by_hashed: dict[str, Asset] = {}
        for name, data in raw.items():
            body = _rewrite(name, data, hashed) if refs[name] else data
            mimetype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            imports = [ref for ref in refs[name] if ref.endswith(".js") and name.endswith(".js")]
            asset = Asset(name, hashed[name], digests[name], body, mimetype, imports)
            self.by_name[name] = asset
            self.by_hashed[hashed[name]] = asset

    def bundle(self, entries: tuple[str, ...]) -> Asset:
        """The one script of a page whose entry modules are `entries` (plain names under js/)."""
        with _bundle_lock:
            if (built := self._bundles.get(entries)) is None:
                built = self._bundles[entries] = _bundle(self, entries)
        return built


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


BUNDLES = "bundles/"
_BUNDLE_NAME = re.compile(
    r"^bundles/(?P<entries>[a-z0-9-]+(?:~[a-z0-9-]+)*)(?:\.[0-9a-f]{8})?\.js$"
)
_ENTRY = re.compile(r"js/[a-z0-9-]+\.js")  # what a bundle's address can name
# The statement forms our modules use (app/web/static/js): each at the start of a line.
_IMPORT_STATEMENT = re.compile(
    r"""^import\s*(?:\{(?P<names>[^}]*)\}\s*from\s*)?(["'])(?P<ref>\.{1,2}/[^"']+)\2\s*;?""",
    re.MULTILINE,
)
_EXPORT = re.compile(
    r"^export\s+(?P<kind>(?:async\s+)?function\*?|class|const|let|var)\s+(?P<name>[A-Za-z_$][\w$]*)",
    re.MULTILINE,
)
_OTHER_MODULE_SYNTAX = re.compile(
    r"^\s*(?:export\b|import\b(?!\s*\())|\bimport\.meta\b", re.MULTILINE
)


class BundleError(ValueError):
    """A module the bundler cannot take (a form it does not know, an import cycle)."""


def _bundle(files: Manifest, entries: tuple[str, ...]) -> Asset:
    """One ES module running `entries` (in order) and what they import, each module once."""
    order: list[str] = []
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise BundleError(f"import cycle: {' -> '.join([*visiting, name])}")
        visiting.append(name)
        for dep in files.by_name[name].imports:
            visit(dep)
        visiting.pop()
        order.append(name)

    for entry in entries:
        if entry not in files.by_name or not entry.endswith(".js"):
            raise BundleError(f"no such script: {entry}")
        visit(entry)
    slot = {name: f"__module{i}" for i, name in enumerate(order)}
    parts = [f"// One bundle of {', '.join(entries)} (app/web/assets.py).\n"]
    for name in order:
        parts.append(_module_block(name, files.by_name[name], files, slot))
    body = "".join(parts).encode("utf-8")
    digest = hashlib.sha256(body).hexdigest()
    plain = f"{BUNDLES}{'~'.join(Path(e).stem for e in entries)}.js"
    return Asset(plain, _hashed_name(plain, digest), digest, body, "text/javascript")


def _module_block(name: str, asset: Asset, files: Manifest, slot: dict[str, str]) -> str:
    """`name`'s body in a block: its imports read from earlier blocks, its exports handed on."""
    text = asset.body.decode("utf-8")

    def imported(match: re.Match[str]) -> str:
        target = _resolve(name, match["ref"])
        dep = files.by_hashed.get(target or "") or files.by_name.get(target or "")
        if dep is None:
            raise BundleError(f"{name}: cannot resolve {match['ref']}")
        if match["names"] is None:
            return f"/* import {dep.name} */"  # run for its effects: it ran before this block
        pairs = []
        for item in match["names"].split(","):
            words = item.split()
            if not words:
                continue
            if len(words) == 3 and words[1] == "as":
                pairs.append(f"{words[0]}: {words[2]}")
            elif len(words) == 1:
                pairs.append(words[0])
            else:
                raise BundleError(f"{name}: cannot bundle the import {item.strip()!r}")
        return f"const {{ {', '.join(pairs)} }} = {slot[dep.name]};"

    text = _IMPORT_STATEMENT.sub(imported, text)
    exported = [match["name"] for match in _EXPORT.finditer(text)]
    text = _EXPORT.sub(lambda m: f"{m['kind']} {m['name']}", text)
    if leftover := _OTHER_MODULE_SYNTAX.search(text):
        raise BundleError(f"{name}: cannot bundle {leftover.group(0).strip()!r}")
    hand_on = f"Object.assign({slot[name]}, {{ {', '.join(exported)} }});\n" if exported else ""
    return f"\n// {name}\nconst {slot[name]} = {{}};\n{{\n{text}{hand_on}}}\n"


_bundle_lock = threading.Lock()
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
    if filename.startswith(BUNDLES):
        return _serve_bundle(files, filename)
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
    return _asset_response(asset, immutable=immutable)


def _serve_bundle(files: Manifest, filename: str) -> Response:
    """A page's bundle, built from the entries its name lists; under another deployment's hash
    (a page from a pod of another version), this one's, revalidated."""
    match = _BUNDLE_NAME.match(filename)
    if match is None:
        abort(404)
    entries = tuple(f"js/{stem}.js" for stem in match["entries"].split("~"))
    if any(entry not in files.by_name for entry in entries):
        abort(404)
    asset = files.bundle(entries)
    return _asset_response(asset, immutable=asset.hashed_name == filename)


def _asset_response(asset: Asset, *, immutable: bool) -> Response:
    response = Response(asset.body, mimetype=asset.mimetype)
    response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    response.set_etag(asset.digest[:16])
    # The compression step (app.web.compression) keys its cache by it, and answers 304s.
    response.asset_digest = asset.digest  # type: ignore[attr-defined]
    return response


def static_url_defaults(endpoint: str, values: dict[str, Any]) -> None:
    """`url_for('static', filename=...)` gives the hashed name."""
    if endpoint != "static" or "filename" not in values:
        return
    asset = manifest().by_name.get(values["filename"])
    if asset is not None:
        values["filename"] = asset.hashed_name


def page_script(name: str) -> str:
    """Add the module `name` (a file directly under js/, as the bundle's address names its
    entries) to the page's bundle; nothing to write in place."""
    if name not in manifest().by_name or not _ENTRY.fullmatch(name):
        raise BundleError(f"not a script a page can name: {name}")
    g.setdefault("page_scripts", []).append(name)
    return ""


def page_bundle(*more: str) -> str:
    """The URL of the page's one script: the modules its template named, then `more`."""
    entries = tuple(dict.fromkeys([*g.get("page_scripts", []), *more]))
    return url_for("static", filename=manifest().bundle(entries).hashed_name)


def init_app(app: Flask) -> None:
    """Serve the static folder through the manifest and hash every static URL."""
    app.view_functions["static"] = serve_static
    app.url_defaults(static_url_defaults)
    app.jinja_env.globals.update(page_script=page_script, page_bundle=page_bundle)
