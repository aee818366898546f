"""`crowdsource i18n extract | update | init | check | stats`: the interface's catalogs, for
translators and for CI (docs/i18n.md). The commands are Babel's, run on this project's layout:
`babel.cfg` says what is read, app/i18n/messages.pot is the template, one messages.po per
locale under app/i18n/locale/."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

from app.i18n.catalogs import TEMPLATE, catalog_path, plural_forms, read_catalog
from app.i18n.checks import MARKUP, is_translated, placeholders, problems, stats
from app.i18n.locales import BY_CODE, DEFAULT_LOCALE, LOCALES

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "babel.cfg"
# Fixed header dates: a catalog changes in git only when its messages do.
STABLE_DATE = datetime(2026, 12, 7, tzinfo=UTC)
HEADER = """\
# The Crowdsource interface{language}.
# Made with `crowdsource i18n update`; see docs/i18n.md before editing. Translations are
# plain text: keep every {{placeholder}} and %(placeholder)s as in the English, no HTML.
# This file is distributed under the same licence as the Crowdsource project (MIT)."""


def _catalog(**fields: Any) -> Catalog:
    return Catalog(
        project="Crowdsource", version="1", copyright_holder="Crowdsource contributors",
        msgid_bugs_address="",
        creation_date=STABLE_DATE, revision_date=STABLE_DATE, charset="utf-8",
        last_translator="Crowdsource translators", language_team="Crowdsource translators",
        **fields,
    )  # fmt: skip


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=False, omit_header=False)
    temporary.replace(path)


def extract_template() -> Catalog:
    """Every message of the code, templates and scripts, as `babel.cfg` says."""
    with CONFIG.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    template = _catalog(header_comment=HEADER.format(language=": template"))
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map, options_map, comment_tags=("Translators:",), strip_comment_tags=True
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def update_catalog(code: str, template: Catalog) -> Catalog:
    """The locale's catalog brought up to the template: new messages empty, changed ones
    fuzzy (Babel's update), gone ones dropped."""
    locale = BY_CODE[code]
    path = catalog_path(code)
    catalog = read_catalog(path, locale.cldr) if path.exists() else _catalog(locale=locale.cldr)
    catalog.update(template, update_header_comment=False)
    catalog.header_comment = HEADER.format(language=f" in {locale.english_name}")
    catalog.revision_date = catalog.creation_date = STABLE_DATE
    catalog.obsolete.clear()
    catalog.locale = locale.cldr
    catalog._plural_forms = plural_forms(locale)  # type: ignore[attr-defined]
    return catalog


@click.group("i18n")
def i18n() -> None:
    """The interface's translations: extract the messages, update and check the catalogs."""


@i18n.command("extract")
def extract() -> None:
    """Write app/i18n/messages.pot from the code, templates and scripts."""
    template = extract_template()
    _write(template, TEMPLATE)
    click.echo(f"{len(template)} messages in {TEMPLATE.relative_to(ROOT)}")


@i18n.command("update")
@click.option("--locale", "codes", multiple=True, type=click.Choice(list(BY_CODE)),
              help="Only these locales (default: all).")  # fmt: skip
def update(codes: tuple[str, ...]) -> None:
    """Extract, then bring every locale's catalog up to the template."""
    template = extract_template()
    _write(template, TEMPLATE)
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE or (codes and locale.code not in codes):
            continue
        catalog = update_catalog(locale.code, template)
        _write(catalog, catalog_path(locale.code))
        click.echo(f"{locale.code}: {stats(catalog, template).untranslated} to translate")


@i18n.command("check")
def check() -> None:
    """Fail when a catalog is incomplete or differs from the template (what CI runs)."""
    template = read_catalog(TEMPLATE)
    if {m.id for m in extract_template() if m.id} != {m.id for m in template if m.id}:
        click.echo("messages.pot is out of date: run `crowdsource i18n update`", err=True)
        sys.exit(1)
    failed = False
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        path = catalog_path(locale.code)
        if not path.exists():
            click.echo(f"{locale.code}: no catalog at {path.relative_to(ROOT)}", err=True)
            failed = True
            continue
        found = problems(read_catalog(path, locale.cldr), template)
        for line in found[:20]:
            click.echo(f"{locale.code}: {line}", err=True)
        if len(found) > 20:
            click.echo(f"{locale.code}: … and {len(found) - 20} more", err=True)
        failed = failed or bool(found)
    if failed:
        sys.exit(1)
    click.echo(f"{len(LOCALES) - 1} catalogs complete ({len(template)} messages)")


@i18n.command("stats")
def stats_() -> None:
    """Entries, translated, fuzzy and untranslated per locale."""
    template = read_catalog(TEMPLATE)
    click.echo(f"{'locale':<7} {'name':<10} {'entries':>7} {'translated':>10} {'fuzzy':>5} "
               f"{'missing':>7}")  # fmt: skip
    for locale in LOCALES:
        if locale == DEFAULT_LOCALE:
            continue
        path = catalog_path(locale.code)
        catalog = read_catalog(path, locale.cldr) if path.exists() else Catalog()
        s = stats(catalog, template)
        click.echo(f"{locale.code:<7} {locale.english_name:<10} {s.entries:>7} "
                   f"{s.translated:>10} {s.fuzzy:>5} {s.untranslated:>7}")  # fmt: skip


@i18n.command("export-json")
@click.argument("target", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--locale", "code", type=click.Choice(list(BY_CODE)),
              help="Only the messages this locale has not translated yet.")  # fmt: skip
def export_json(target: Path, code: str | None) -> None:
    """Write the template's messages as JSON for a translator or a translation tool: each
    with its plural, where it is used and the notes for translators."""
    template = read_catalog(TEMPLATE)
    done: Catalog | None = None
    if code is not None and catalog_path(code).exists():
        done = read_catalog(catalog_path(code), BY_CODE[code].cldr)
    entries = []
    for message in template:
        if not message.id:
            continue
        if done is not None:
            existing = done.get(message.id, message.context)
            if existing is not None and is_translated(existing) and not existing.fuzzy:
                continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        entries.append({
            "msgid": ids[0], "plural": ids[1] if len(ids) > 1 else None,
            "used_in": sorted({path for path, _line in message.locations}),
            "notes": list(message.auto_comments),
        })  # fmt: skip
    target.write_text(json.dumps(entries, ensure_ascii=False, indent=1))
    click.echo(f"{len(entries)} messages in {target}")


@i18n.command("fill")
@click.argument("code", type=click.Choice([c for c in BY_CODE if c != DEFAULT_LOCALE.code]))
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def fill(code: str, source: Path) -> None:
    """Put translations from a JSON file ({msgid: text, or [forms] for a plural}) into the
    locale's catalog (made from the template if it has none): each replaces the entry's text
    and clears its fuzzy mark. Unknown msgids and translations that would fail `check`
    (placeholders, markup) are reported and left out."""
    try:
        given = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.UsageError(f"{source}: not a JSON file ({error})") from None
    if not isinstance(given, dict):
        raise click.UsageError(f"{source}: expected an object of msgid: translation")
    template = read_catalog(TEMPLATE)
    catalog = update_catalog(code, template)
    by_first_id = {
        (m.id[0] if isinstance(m.id, (list, tuple)) else m.id): m for m in catalog if m.id
    }
    filled = refused = 0
    unknown = []
    for msgid, text in given.items():
        message = by_first_id.get(msgid)
        if message is None:
            unknown.append(msgid)
            continue
        forms = [text] if isinstance(text, str) else list(text)
        expected = placeholders(msgid if not message.pluralizable else message.id[-1])
        bad = [f for f in forms if not isinstance(f, str) or not f.strip() or MARKUP.search(f)]
        bad += [f for f in forms if isinstance(f, str) and placeholders(f) != expected
                and placeholders(f) != placeholders(msgid)]  # fmt: skip
        if bad or (message.pluralizable and len(forms) != catalog.num_plurals):
            click.echo(f"{code}: left out {msgid[:60]!r}: {bad[:1] or 'number of forms'}")
            refused += 1
            continue
        message.string = tuple(forms) if message.pluralizable else forms[0]
        message.flags.discard("fuzzy")
        filled += 1
    _write(catalog, catalog_path(code))
    for msgid in unknown[:10]:
        click.echo(f"{code}: not in the template: {msgid[:60]!r}")
    click.echo(f"{code}: {filled} filled, {refused} left out, {len(unknown)} unknown; "
               f"{stats(catalog, template).untranslated} still to translate")  # fmt: skip
