"""Settings: read once from the environment into one typed, frozen object.

Every malformed or missing value raises SettingsError naming the variable, so start-up stops
with one clear line. The original platform's names (DB_HOST, DB_USER, DB_PASS, DB_NAME,
BUCKET_NAME, PORT, ENCRYPTION_KEY) keep working.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import platformdirs

from app.errors import SettingsError

STORAGE_BACKENDS = ("local", "s3", "gcs")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Pre-check thresholds by task: a character error rate (transcribe, label), a chrF score.
PRECHECK_RANGES: dict[str, dict[str, float]] = {
    "transcribe": {"minimum": 0.0, "maximum": 1.0},
    "translate": {"minimum": 0.0, "maximum": 100.0},
    "label": {"minimum": 0.0, "maximum": 1.0},
}
# S3 and GCS bucket names share this shape (3-63 chars, lower case, digits, dots, dashes).
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class Settings:
    """Everything the app and the CLI may be configured with. Build it with `load_settings`."""

    # Database: a full URL, or None for the embedded PostgreSQL in `data_dir`.
    database_url: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir("crowdsource")))
    db_pool_min: int = 1
    db_pool_max: int = 10
    db_connect_timeout: int = 5
    db_statement_timeout_ms: int = 15_000

    # Object storage.
    storage_backend: str = "local"
    bucket_name: str = "crowdsource"
    # The published dashboard's own bucket (behind the CDN); None: the recordings bucket.
    dashboard_bucket_name: str | None = None
    storage_dir: Path | None = None  # local backend root; default data_dir / "storage"
    s3_endpoint_url: str | None = None
    aws_region: str | None = None
    gcs_project: str | None = None

    # Web.
    host: str = "127.0.0.1"
    port: int = 8080
    # Two processes per core: one process (one GIL) cannot use a second core, and gunicorn
    # spreads kept-alive connections unevenly, so two workers on two cores often leave one
    # idle (docs/benchmarks.md, "Workers and threads"). Threads cover the database waits.
    workers: int = 4
    threads: int = 4
    secret_key: str | None = None
    cdn_base_url: str | None = None
    log_level: str = "INFO"
    # Digits of numbers and dates in the interface: "latin" (0-9, the default: the dashboard's
    # data, the exports and most phone keyboards use them) or "native" (each locale's own,
    # app/i18n/locales.py: १२,३४,५६७ in Hindi).
    interface_digits: str = "latin"

    # The contributor loop.
    max_upload_bytes: int = 5 * 1024 * 1024
    recording_min_ms: int = 1_000
    recording_max_ms: int = 15_000
    votes_to_decide: int = 2  # accepted at >= N accepts (and more accepts than rejects)
    reports_to_hide: int = 3  # distinct reporters that take an item or recording out of the queues
    audio_url_ttl_seconds: int = 900
    # GET /api/v1/me/export: the largest zip a person may download at once (app/mydata).
    my_data_export_max_bytes: int = 2 * 1024**3

    # Trust (app/validate/trust.py, docs/adr/0009-trust.md). A vote counts only once the clip
    # could have been heard: served at least LISTEN_PERCENT of its duration before the vote.
    listen_percent: int = 80
    # A new validator's first WARMUP_CLIPS clips in a language are practice on known answers;
    # their votes count after WARMUP_MIN_AGREED of them agree. Skipped while the language has
    # fewer than KNOWN_ANSWERS_MIN known-answer clips of each answer.
    warmup_clips: int = 5
    warmup_min_agreed: int = 4
    known_answers_min: int = 4
    # Then probation: PROBATION_CHECK_PERCENT of the clips served are hidden known-answer
    # checks, and the votes wait until PROBATION_CHECKS checks are answered with at least
    # PROBATION_AGREE_PERCENT agreement (then they all count at once).
    probation_checks: int = 10
    probation_agree_percent: int = 90
    probation_check_percent: int = 50
    # Afterwards about KNOWN_ANSWER_PERCENT of the clips served are checks; past
    # DISTRUST_MIN_CHECKS of them, a validator who disagrees with more than
    # DISTRUST_DISAGREEMENT_PERCENT stops counting (votes kept, verdicts recomputed).
    known_answer_percent: int = 10
    distrust_min_checks: int = 5
    distrust_disagreement_percent: int = 30

    # Abuse limits (app/security/limits.py): on unless RATE_LIMITS=off (benchmarks); counted in
    # PostgreSQL, or in Redis when REDIS_URL is set: every worker and pod shares the counts.
    storage_timeout_s: int = 8  # S3, GCS: seconds to wait for an answer (one attempt)
    rate_limits: bool = True
    redis_url: str | None = None
    # Reverse proxies in front of the app whose X-Forwarded-For may be believed (the ingress
    # controller, a load balancer): 0 trusts none, and the client is the connecting address.
    proxy_hops: int = 0

    # The pre-check of typed text against an item's reference (app/tasks/precheck.py,
    # docs/text-rules.md): past its task's threshold, the volunteer is asked to confirm. A
    # transcription or label past a character error rate, a translation below a chrF score.
    precheck_transcribe_cer_max: float = 0.35
    precheck_label_cer_max: float = 0.25
    precheck_translate_chrf_min: float = 30.0
    # Per (language, task) overrides, from PRECHECK_THRESHOLDS="hi:transcribe=0.4,ta:translate=25".
    precheck_thresholds: tuple[tuple[str, str, float], ...] = ()

    @property
    def embedded(self) -> bool:
        """True when no database server is configured and the embedded one is used."""
        return self.database_url is None

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def local_storage_dir(self) -> Path:
        return self.storage_dir or (self.data_dir / "storage")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `environ` (default: os.environ); raise SettingsError on a bad value."""
    env = _Env(os.environ if environ is None else environ)

    database_url = _database_url(env)
    storage_backend = env.choice("STORAGE_BACKEND", STORAGE_BACKENDS, default="local")
    bucket_name = env.text("BUCKET_NAME")
    if bucket_name is None and storage_backend != "local":
        raise SettingsError("BUCKET_NAME", f"required when STORAGE_BACKEND={storage_backend}")
    if bucket_name is not None and not _BUCKET_RE.fullmatch(bucket_name):
        raise SettingsError(
            "BUCKET_NAME",
            f"{bucket_name!r} is not a valid bucket name "
            "(3-63 characters: lower-case letters, digits, '.', '-')",
        )

    dashboard_bucket = env.text("DASHBOARD_BUCKET_NAME")
    if dashboard_bucket is not None:
        if storage_backend == "local":
            raise SettingsError("DASHBOARD_BUCKET_NAME", "needs STORAGE_BACKEND s3 or gcs")
        if not _BUCKET_RE.fullmatch(dashboard_bucket):
            raise SettingsError(
                "DASHBOARD_BUCKET_NAME", f"{dashboard_bucket!r} is not a valid bucket name"
            )

    pool_min = env.number("DB_POOL_MIN", default=1, minimum=0, maximum=100)
    pool_max = env.number("DB_POOL_MAX", default=10, minimum=1, maximum=500)
    if pool_max < pool_min:
        raise SettingsError("DB_POOL_MAX", f"must be at least DB_POOL_MIN ({pool_min})")

    secret_key = env.text("SECRET_KEY") or env.text("ENCRYPTION_KEY")
    if secret_key is not None and len(secret_key) < 16:
        name = "SECRET_KEY" if env.text("SECRET_KEY") else "ENCRYPTION_KEY"
        raise SettingsError(name, "too short: use at least 16 random characters")
    if secret_key is None and database_url is not None:
        raise SettingsError(
            "SECRET_KEY",
            "required when DATABASE_URL or DB_HOST is set "
            "(a random value of at least 16 characters; ENCRYPTION_KEY is accepted too)",
        )

    warmup_clips = env.number("WARMUP_CLIPS", default=5, minimum=0, maximum=50)
    warmup_min_agreed = env.number("WARMUP_MIN_AGREED", default=4, minimum=0, maximum=50)
    if warmup_min_agreed > warmup_clips:
        raise SettingsError("WARMUP_MIN_AGREED", f"must be at most WARMUP_CLIPS ({warmup_clips})")
    min_seconds = env.number("RECORDING_MIN_SECONDS", default=1, minimum=1, maximum=60)
    max_seconds = env.number("RECORDING_MAX_SECONDS", default=15, minimum=2, maximum=300)
    if max_seconds <= min_seconds:
        raise SettingsError(
            "RECORDING_MAX_SECONDS", f"must be above RECORDING_MIN_SECONDS ({min_seconds})"
        )

    data_dir = env.path("DATA_DIR")
    return Settings(
        database_url=database_url,
        data_dir=data_dir or Path(platformdirs.user_data_dir("crowdsource")),
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        db_connect_timeout=env.number("DB_CONNECT_TIMEOUT", default=5, minimum=1, maximum=120),
        db_statement_timeout_ms=env.number(
            "DB_STATEMENT_TIMEOUT_MS", default=15_000, minimum=0, maximum=3_600_000
        ),
        storage_backend=storage_backend,
        bucket_name=bucket_name or "crowdsource",
        dashboard_bucket_name=dashboard_bucket,
        storage_dir=env.path("STORAGE_DIR"),
        s3_endpoint_url=env.url("S3_ENDPOINT_URL"),
        aws_region=env.text("AWS_REGION") or env.text("AWS_DEFAULT_REGION"),
        gcs_project=env.text("GOOGLE_CLOUD_PROJECT"),
        host=env.text("HOST") or "127.0.0.1",
        port=env.number("PORT", default=8080, minimum=1, maximum=65535),
        workers=env.number("WEB_CONCURRENCY", default=4, minimum=1, maximum=64),
        threads=env.number("THREADS", default=4, minimum=1, maximum=64),
        secret_key=secret_key,
        cdn_base_url=env.url("CDN_BASE_URL"),
        log_level=env.choice("LOG_LEVEL", LOG_LEVELS, default="INFO", upper=True),
        interface_digits=env.choice("INTERFACE_DIGITS", ("latin", "native"), default="latin"),
        max_upload_bytes=env.number("MAX_UPLOAD_MB", default=5, minimum=1, maximum=100)
        * 1024
        * 1024,
        recording_min_ms=int(min_seconds * 1000),
        recording_max_ms=int(max_seconds * 1000),
        votes_to_decide=env.number("VOTES_TO_DECIDE", default=2, minimum=1, maximum=50),
        reports_to_hide=env.number("REPORTS_TO_HIDE", default=3, minimum=1, maximum=100),
        audio_url_ttl_seconds=env.number("AUDIO_URL_TTL", default=900, minimum=30, maximum=86_400),
        my_data_export_max_bytes=env.number(
            "MY_DATA_EXPORT_MAX_MB", default=2048, minimum=1, maximum=65_536
        )
        * 1024
        * 1024,
        listen_percent=env.number("LISTEN_PERCENT", default=80, minimum=0, maximum=100),
        warmup_clips=warmup_clips,
        warmup_min_agreed=warmup_min_agreed,
        known_answers_min=env.number("KNOWN_ANSWERS_MIN", default=4, minimum=1, maximum=1000),
        probation_checks=env.number("PROBATION_CHECKS", default=10, minimum=0, maximum=1000),
        probation_agree_percent=env.number(
            "PROBATION_AGREE_PERCENT", default=90, minimum=0, maximum=100
        ),
        probation_check_percent=env.number(
            "PROBATION_CHECK_PERCENT", default=50, minimum=1, maximum=100
        ),
        known_answer_percent=env.number("KNOWN_ANSWER_PERCENT", default=10, minimum=0, maximum=50),
        distrust_min_checks=env.number("DISTRUST_MIN_CHECKS", default=5, minimum=1, maximum=1000),
        distrust_disagreement_percent=env.number(
            "DISTRUST_DISAGREEMENT_PERCENT", default=30, minimum=0, maximum=100
        ),
        storage_timeout_s=env.number("STORAGE_TIMEOUT", default=8, minimum=1, maximum=300),
        rate_limits=env.choice("RATE_LIMITS", ("on", "off"), default="on") == "on",
        redis_url=_redis_url(env),
        proxy_hops=env.number("PROXY_HOPS", default=0, minimum=0, maximum=5),
        precheck_transcribe_cer_max=env.decimal(
            "PRECHECK_TRANSCRIBE_CER_MAX", default=0.35, **PRECHECK_RANGES["transcribe"]
        ),
        precheck_label_cer_max=env.decimal(
            "PRECHECK_LABEL_CER_MAX", default=0.25, **PRECHECK_RANGES["label"]
        ),
        precheck_translate_chrf_min=env.decimal(
            "PRECHECK_TRANSLATE_CHRF_MIN", default=30.0, **PRECHECK_RANGES["translate"]
        ),
        precheck_thresholds=_precheck_thresholds(env),
    )


def _precheck_thresholds(env: _Env) -> tuple[tuple[str, str, float], ...]:
    """PRECHECK_THRESHOLDS: comma-separated LANGUAGE:TASK=VALUE, each pair at most once."""
    name = "PRECHECK_THRESHOLDS"
    found: dict[tuple[str, str], float] = {}
    for entry in (env.text(name) or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        match = re.fullmatch(r"([a-z]{2,3}):([a-z]+)=(\S+)", entry)
        if match is None:
            raise SettingsError(
                name, f"{entry!r} is not LANGUAGE:TASK=VALUE (e.g. hi:transcribe=0.4)"
            )
        language, task, raw = match.groups()
        if task not in PRECHECK_RANGES:
            tasks = ", ".join(PRECHECK_RANGES)
            raise SettingsError(
                name, f"{entry!r}: unknown task {task!r} (expected one of: {tasks})"
            )
        if (language, task) in found:
            raise SettingsError(name, f"{language}:{task} is given twice")
        found[language, task] = _decimal(name, raw, **PRECHECK_RANGES[task])
    return tuple((language, task, value) for (language, task), value in found.items())


def _decimal(name: str, raw: str, *, minimum: float, maximum: float) -> float:
    """`raw` as a number within [minimum, maximum], or SettingsError naming `name`."""
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a number") from None
    if not minimum <= value <= maximum:  # NaN fails too
        raise SettingsError(name, f"{raw} is out of range ({minimum:g}-{maximum:g})")
    return value


def _redis_url(env: _Env) -> str | None:
    url = env.text("REDIS_URL")
    if url is not None and not re.match(r"(redis|rediss|unix)://", url):
        raise SettingsError("REDIS_URL", "must start with redis://, rediss:// or unix://")
    return url


def _database_url(env: _Env) -> str | None:
    """DATABASE_URL wins; else the original platform's DB_HOST/DB_USER/DB_PASS/DB_NAME."""
    url = env.text("DATABASE_URL")
    if url is not None:
        is_url = url.startswith(("postgresql://", "postgres://"))
        is_keywords = "://" not in url and "=" in url  # libpq's "host=... dbname=..." form
        if not (is_url or is_keywords):
            raise SettingsError(
                "DATABASE_URL",
                "must start with postgresql:// (e.g. postgresql://user:password@host:5432/db)",
            )
        _check_conninfo("DATABASE_URL", url)
        return url
    host = env.text("DB_HOST")
    if host is None:
        for name in ("DB_USER", "DB_PASS", "DB_NAME"):
            if env.text(name) is not None:
                raise SettingsError("DB_HOST", f"required when {name} is set")
        return None
    user = env.text("DB_USER") or "postgres"
    password = env.text("DB_PASS") or ""
    name = env.text("DB_NAME") or "crowdsource"
    port = env.number("DB_PORT", default=5432, minimum=1, maximum=65535)
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    url = f"postgresql://{auth}@{quote(host, safe='')}:{port}/{quote(name, safe='')}"
    options = {"sslmode": env.text("DB_SSLMODE"), "sslrootcert": env.text("DB_SSLROOTCERT")}
    query = "&".join(f"{key}={quote(value, safe='/')}" for key, value in options.items() if value)
    if query:
        # sslrootcert: the CA file (libpq's default, ~/.postgresql/root.crt, is under HOME,
        # which the image sets to /tmp), or `system` for the system's CA store.
        url += f"?{query}"
    _check_conninfo("DB_HOST", url)
    return url


def _check_conninfo(variable: str, url: str) -> None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception as exc:  # psycopg raises ProgrammingError with libpq's reason
        # libpq quotes the whole URI (password included) after "in URI:": keep only the reason.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = re.sub(r'\s*in URI: ".*$', "", reason)
        raise SettingsError(variable, f"not a valid PostgreSQL URL: {reason}") from None
    port = str(parts.get("port", "5432"))
    if not all(p.isdigit() for p in port.split(",")):
        raise SettingsError(variable, f"port {port!r} is not a number")


class _Env:
    """Typed reads of environment variables; blank values count as unset."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str) -> str | None:
        value = self._environ.get(name)
        if value is None or not value.strip():
            return None
        return value.strip()

    def number(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(name, f"{raw!r} is not a whole number") from None
        if not minimum <= value <= maximum:
            raise SettingsError(name, f"{value} is out of range ({minimum}-{maximum})")
        return value

    def decimal(self, name: str, *, default: float, minimum: float, maximum: float) -> float:
        raw = self.text(name)
        return default if raw is None else _decimal(name, raw, minimum=minimum, maximum=maximum)

    def choice(
        self, name: str, choices: tuple[str, ...], *, default: str, upper: bool = False
    ) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        value = raw.upper() if upper else raw.lower()
        if value not in choices:
            raise SettingsError(
                name, f"unknown value {raw!r} (expected one of: {', '.join(choices)})"
            )
        return value

    def path(self, name: str) -> Path | None:
        raw = self.text(name)
        return Path(raw).expanduser().resolve() if raw is not None else None

    def url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not re.match(r"https?://[^/\s]+", raw):
            raise SettingsError(name, f"{raw!r} is not an http(s) URL")
        return raw.rstrip("/")


def with_secret_key(settings: Settings) -> Settings:
    """Settings whose secret_key is set: the configured one, or in embedded mode a random key
    kept in DATA_DIR/secret_key so that signed cookies survive restarts."""
    if settings.secret_key is not None:
        return settings
    if not settings.embedded:
        raise SettingsError("SECRET_KEY", "required when DATABASE_URL or DB_HOST is set")
    import secrets
    from dataclasses import replace

    path = settings.data_dir / "secret_key"
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        key = path.read_text().strip()
    except FileExistsError:
        key = path.read_text().strip()  # another process wrote it first
    except OSError as exc:
        raise SettingsError(
            "DATA_DIR", f"cannot keep the secret key in {path}: {exc.strerror}"
        ) from None
    if len(key) < 16:
        raise SettingsError("DATA_DIR", f"{path} holds no usable key; delete it to make a new one")
    return replace(settings, secret_key=key)
