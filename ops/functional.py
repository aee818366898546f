"""`crowdsource functional-test`: the API journeys against a deployed environment.

As the original platform did after each deployment: read-only checks by default (probes,
reference data, the queues, the published dashboard), so it is safe against production;
with --write, a whole contribution loop by two fresh anonymous people (their sessions, a
profile, an upload, a retry of it, a vote by someone else once the clip could have been heard
and not before, the thank-you totals), for a test environment: it leaves two sessions, one
recording, one vote and one profile behind. One PASS/FAIL line per check.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from app.errors import CrowdsourceError
from ops.functional_client import Answer, Person

API = "/api/v1"
CHECKOUT = Path(__file__).resolve().parent.parent


class CheckFailed(Exception):
    """A check saw something other than what a working deployment answers."""


@dataclass
class Run:
    """What the checks share: the people, and what earlier checks found."""

    base_url: str
    dashboard_base: str
    audio: bytes | None = None
    speaker: Person = field(init=False)
    validator: Person = field(init=False)
    language: str | None = None  # given by --language, else found by the checks
    open_languages: list[str] = field(default_factory=list)
    recording_id: str | None = None
    # The clip the validator was handed (theirs to vote on), its length, and when.
    clip_id: str | None = None
    clip_ms: int = 0
    served_at: float = 0.0
    audio_url: str | None = None

    def __post_init__(self) -> None:
        self.speaker = Person(self.base_url)
        self.validator = Person(self.base_url)


def expect(answer: Answer, *statuses: int) -> Any:
    """The JSON body when the status is one of `statuses`; raises CheckFailed otherwise."""
    if answer.status not in statuses:
        code = answer.error_code()
        raise CheckFailed(f"answered {answer.status}" + (f" {code}" if code else ""))
    return answer.body


# Read-only checks ---------------------------------------------------------------------------


def check_healthz(run: Run) -> str:
    body = expect(run.speaker.get("/healthz"), 200)
    if (body or {}).get("status") != "ok":
        raise CheckFailed(f"status is {body!r}")
    return "ok"


def check_readyz(run: Run) -> str:
    answer = run.speaker.get("/readyz")
    if answer.status != 200:
        raise CheckFailed(f"answered {answer.status}: {(answer.body or {}).get('checks')}")
    return "database and storage answer"


def check_languages(run: Run) -> str:
    languages = expect(run.speaker.get(f"{API}/languages"), 200)["languages"]
    open_ones = [lang for lang in languages if lang.get("sentence_count")]
    if not open_ones:
        raise CheckFailed("no language has sentences to record")
    run.open_languages = [run.language] if run.language else [lang["code"] for lang in open_ones]
    return f"{len(languages)} languages, {len(open_ones)} with sentences"


def check_openapi(run: Run) -> str:
    document = expect(run.speaker.get(f"{API}/openapi.json"), 200)
    if not str(document.get("openapi", "")).startswith("3.") or not document.get("paths"):
        raise CheckFailed("not an OpenAPI 3 document with paths")
    return f"OpenAPI {document['openapi']}, {len(document['paths'])} paths"


def check_profile_options(run: Run) -> str:
    options = expect(run.speaker.get(f"{API}/profile/options"), 200)
    if not options.get("age_groups") or not options.get("genders"):
        raise CheckFailed("age groups or genders missing")
    return f"{len(options['age_groups'])} age groups, {len(options.get('regions', []))} regions"


def check_sentences(run: Run) -> str:
    """The first language that offers a new person something to record becomes the one the
    later checks use (a language can be exhausted: every sentence at its recording cap)."""
    for code in run.open_languages:
        body = expect(run.speaker.get(f"{API}/languages/{code}/sentences?count=5"), 200)
        if not body["sentences"] and not body["exhausted"]:
            raise CheckFailed(f"{code}: no sentences, yet not exhausted")
        if body["sentences"]:
            run.language = code
            return f"{len(body['sentences'])} sentences to record in {code}"
    raise CheckFailed(f"nothing to record in {', '.join(run.open_languages) or 'any language'}")


def check_clips(run: Run) -> str:
    clips = expect(run.speaker.get(f"{API}/languages/{_language(run)}/clips?count=5"), 200)
    for clip in clips["clips"]:
        if not {"id", "sentence", "audio_url"} <= clip.keys():
            raise CheckFailed(f"a clip without id, sentence or audio_url: {sorted(clip)}")
    return f"{len(clips['clips'])} clips waiting"


def check_unknown_language(run: Run) -> str:
    answer = run.speaker.get(f"{API}/languages/zz-none/sentences")
    expect(answer, 404)
    if answer.error_code() != "unknown_language":
        raise CheckFailed(f"error code {answer.error_code()!r}, not unknown_language")
    return "404 unknown_language"


def check_dashboard(run: Run) -> str:
    reader = Person(run.dashboard_base)
    manifest = expect(reader.get("/public/dashboard/manifest.json"), 200)
    files = manifest.get("files") or {}
    if not files:
        raise CheckFailed("the manifest names no files")
    for name, key in files.items():
        document = expect(reader.get(f"/{key}"), 200)
        if not isinstance(document, dict):
            raise CheckFailed(f"{name} is not a JSON object")
    return f"manifest of {manifest.get('generated_at')} and {len(files)} files"


# Write checks (--write) ---------------------------------------------------------------------


def check_sessions(run: Run) -> str:
    """Both people get a session (POST /api/v1/session, as a page's script does when its
    page view brought none): every write needs one."""
    for person in (run.speaker, run.validator):
        expect(person.send_json("POST", f"{API}/session", {}), 201)
    answer = run.speaker.send_json("POST", f"{API}/session", {})
    expect(answer, 200)  # asked again with the cookie: the same session
    return "201 for each new person, 200 when asked again"


def check_set_profile(run: Run) -> str:
    options = expect(run.speaker.get(f"{API}/profile/options"), 200)
    wanted = {"display_name": "functional test", "age_group": options["age_groups"][0]["value"]}
    profile = expect(run.speaker.send_json("PUT", f"{API}/me/profile", wanted), 200)["profile"]
    if {k: profile.get(k) for k in wanted} != wanted:
        raise CheckFailed(f"profile reads back as {profile}")
    return "display name and age group saved"


def check_upload(run: Run) -> str:
    sentences = expect(run.speaker.get(f"{API}/languages/{_language(run)}/sentences?count=1"), 200)
    if not sentences["sentences"]:
        raise CheckFailed(f"{run.language} has no sentence left for a new person")
    fields = {"item_id": str(sentences["sentences"][0]["id"]), "idempotency_key": _new_key()}
    first = expect(run.speaker.upload(f"{API}/recordings", fields, "audio", _audio(run)), 201)
    again = expect(run.speaker.upload(f"{API}/recordings", fields, "audio", _audio(run)), 200)
    run.recording_id = first["recording"]["id"]
    if again["recording"]["id"] != run.recording_id:
        raise CheckFailed("a retry with the same idempotency key made a second recording")
    return f"201 then 200 on retry; {first['recording']['duration_ms']} ms pending"


def check_cannot_vote_on_own(run: Run) -> str:
    answer = run.speaker.send_json("POST", f"{API}/recordings/{_recording(run)}/votes", _ACCEPT)
    expect(answer, 403)
    if answer.error_code() != "own_recording":
        raise CheckFailed(f"error code {answer.error_code()!r}, not own_recording")
    return "403 own_recording"


def check_clip_served(run: Run) -> str:
    """The validator is handed clips (the server remembers when: a vote waits for the clip
    to be heard). The new recording is the one to vote on; a validator still warming up on a
    deployment with settled clips is handed practice clips instead, and votes on one."""
    clips = expect(run.validator.get(f"{API}/languages/{_language(run)}/clips?count=20"), 200)
    run.served_at = time.monotonic()
    if not clips["clips"]:
        raise CheckFailed("no clip offered to a new validator after an upload")
    ours = [c for c in clips["clips"] if c["id"] == run.recording_id]
    clip = (ours or clips["clips"])[0]
    run.clip_id, run.clip_ms, run.audio_url = (
        clip["id"],
        int(clip["duration_ms"]),
        clip["audio_url"],
    )
    which = "the new recording" if ours else "a practice clip" if clip.get("practice") else "a clip"
    return f"{len(clips['clips'])} clips, {which} of {run.clip_ms} ms among them"


def check_vote_unheard(run: Run) -> str:
    """A vote sent at once, sooner than the clip could have been heard, is refused."""
    answer = run.validator.send_json("POST", f"{API}/recordings/{_clip(run)}/votes", _ACCEPT)
    expect(answer, 422)
    if answer.error_code() != "not_listened":
        raise CheckFailed(f"error code {answer.error_code()!r}, not not_listened")
    return "422 not_listened"


def check_listen(run: Run) -> str:
    _clip(run)
    audio = run.validator.get(str(run.audio_url))
    expect(audio, 200)
    if not audio.data:
        raise CheckFailed("the audio is empty")
    return f"{len(audio.data)} bytes of {audio.content_type or 'audio'}"


def check_vote(run: Run) -> str:
    """Once the clip has played to its end (as the page unlocks its buttons), the vote is
    taken; the same vote again changes nothing."""
    path = f"{API}/recordings/{_clip(run)}/votes"
    time.sleep(max(0.0, run.served_at + run.clip_ms / 1000 + 0.5 - time.monotonic()))
    body = expect(run.validator.send_json("POST", path, _ACCEPT), 201)
    if body.get("vote") != {"recording": run.clip_id, "verdict": "accept"}:
        raise CheckFailed(f"the vote reads back as {body.get('vote')}")
    expect(run.validator.send_json("POST", path, _ACCEPT), 200)  # the same vote again
    practice = body.get("practice")
    return "201 then 200" + (f"; practice, expected {practice['expected']}" if practice else "")


def check_totals(run: Run) -> str:
    speaker = expect(run.speaker.get(f"{API}/me"), 200)["totals"]
    validator = expect(run.validator.get(f"{API}/me"), 200)["totals"]
    if speaker["recordings"] != 1 or validator["validations"] != 1:
        raise CheckFailed(f"speaker {speaker}, validator {validator}")
    return f"{speaker['seconds_recorded']} s recorded, 1 validation"


_ACCEPT = {"verdict": "accept"}

READ_ONLY: list[Callable[[Run], str]] = [
    check_healthz, check_readyz, check_languages, check_openapi, check_profile_options,
    check_sentences, check_clips, check_unknown_language, check_dashboard,
]  # fmt: skip
WRITE: list[Callable[[Run], str]] = [
    check_sessions, check_set_profile, check_upload, check_cannot_vote_on_own,
    check_clip_served, check_vote_unheard, check_listen, check_vote, check_totals,
]  # fmt: skip


def run_checks(run: Run, checks: list[Callable[[Run], str]], echo: Callable[[str], None]) -> int:
    """Run `checks` in order, one PASS/FAIL line each; return how many failed."""
    failed = 0
    for check in checks:
        name = check.__name__.removeprefix("check_").replace("_", "-")
        try:
            detail, ok = check(run), True
        except CheckFailed as exc:
            detail, ok = str(exc), False
        except OSError as exc:  # nothing answered (refused, timed out, DNS)
            detail, ok = f"no answer: {getattr(exc, 'reason', exc)}", False
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            detail, ok = f"unexpected answer ({type(exc).__name__}: {exc})", False
        failed += not ok
        echo(f"{'PASS' if ok else 'FAIL'}  {name:<22} {detail}")
    return failed


def check_base_url(url: str, option: str = "--base-url") -> str:
    """`url` without a trailing slash; raises CrowdsourceError unless it is http(s)://host."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a malformed port)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrowdsourceError(f"{option} {url!r} is not an http(s) URL like https://example.org")
    return url.strip().rstrip("/")


def _language(run: Run) -> str:
    if run.language is None:
        raise CheckFailed("needs a language with sentences (see the 'sentences' check)")
    return run.language


def _recording(run: Run) -> str:
    if run.recording_id is None:
        raise CheckFailed("needs the recording of the 'upload' check")
    return run.recording_id


def _clip(run: Run) -> str:
    if run.clip_id is None:
        raise CheckFailed("needs the clip of the 'clip-served' check")
    return run.clip_id


def _audio(run: Run) -> bytes:
    if run.audio is None:
        run.audio = _sample_take()
    return run.audio


def _sample_take() -> bytes:
    """A ~1.6 s take of real speech from the checkout's samples (loadtests/clips.py)."""
    if str(CHECKOUT) not in sys.path:
        sys.path.insert(0, str(CHECKOUT))
    try:
        from loadtests.clips import load_clips
    except ImportError:
        raise CheckFailed("no sample speech here (no checkout): give --audio FILE") from None
    return load_clips()[0]


def _new_key() -> str:
    return f"functional-{uuid.uuid4().hex}"


@click.command("functional-test")
@click.option("--base-url", required=True, help="The deployment, e.g. https://test.example.org.")
@click.option(
    "--write",
    is_flag=True,
    help="Also record, vote and set a profile as two new people (for a test environment: "
    "it leaves two sessions, one recording and one vote behind).",
)
@click.option("--language", help="Language code to use (default: the first with sentences).")
@click.option("--dashboard-base", help="Where the dashboard JSON is served (the CDN URL).")
@click.option(
    "--audio",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A speech clip (1–15 s) to upload with --write (default: a sample from the checkout).",
)
@click.pass_context
def functional_test(
    ctx: click.Context,
    base_url: str,
    write: bool,
    language: str | None,
    dashboard_base: str | None,
    audio: Path | None,
) -> None:
    """Check a deployed environment through its API; exits 1 if any check fails.

    Read-only unless --write. See docs/loadtests.md.
    """
    base = check_base_url(base_url)
    cdn = check_base_url(dashboard_base, "--dashboard-base") if dashboard_base else base
    run = Run(base, cdn, audio=audio.read_bytes() if audio else None)
    run.language = language
    checks = READ_ONLY + (WRITE if write else [])
    failed = run_checks(run, checks, click.echo)
    mode = "read-write" if write else "read-only"
    click.echo(f"{len(checks) - failed} passed, {failed} failed ({mode})")
    if failed:
        ctx.exit(1)
