"""The Dockerfile, checked without a Docker daemon: its instructions parsed and held to what the
image must be (multi-stage, slim, non-root, gunicorn with our config, ops commands on PATH), and
the wheel its builder stage makes, built from exactly the files that stage copies."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "Dockerfile"
DOCKERIGNORE = PROJECT_ROOT / ".dockerignore"


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY...
    args: str  # the rest, continuation lines joined

    def exec_form(self) -> list[str] | None:
        """The JSON array of CMD/ENTRYPOINT/RUN in exec form, else None (shell form)."""
        if not self.args.startswith("["):
            return None
        value = json.loads(self.args)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        return value


@dataclass
class Stage:
    base: str  # the image after ARG substitution
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            words = shlex.split(instruction.args)
            if words and "=" not in words[0]:  # legacy form: ENV KEY value with spaces
                values[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                key, _, value = word.partition("=")
                values[key] = value
        return values


def parse_instructions(text: str) -> list[Instruction]:
    """Instructions of a Dockerfile: comments and blank lines dropped (also inside a continued
    instruction, as Docker does), lines ending in a backslash joined with the next."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        logical = pending + line
        pending = ""
        keyword, _, args = logical.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
    assert not pending, "the Dockerfile ends in a line continuation"
    return instructions


def parse_stages(text: str) -> list[Stage]:
    """Build stages in order; FROM's image has the global ARG defaults substituted."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in parse_instructions(text):
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            words = [w for w in words if not w.startswith("--platform")]
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), ""), words[0])
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image, name))
        elif not stages:
            assert instruction.keyword == "ARG", f"{instruction.keyword} before the first FROM"
            key, _, default = instruction.args.partition("=")
            global_args[key.strip()] = default.strip().strip('"')
        else:
            stages[-1].instructions.append(instruction)
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_stages(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


def dockerignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore leaves `path` (relative, '/'-separated) out of the build context:
    a pattern matches the path or one of its parent folders (no '!' exceptions are used)."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        pattern = pattern.lstrip("/")
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatchcase(
                candidate.rsplit("/", 1)[-1], pattern[3:]
            ):
                return True
    return False


def builder_copy_sources(stage: Stage) -> list[str]:
    """The paths a stage copies from the build context (COPY without --from)."""
    sources: list[str] = []
    for instruction in stage.all("COPY"):
        words = instruction.args.split()
        if any(w.startswith("--from") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        sources += words[:-1]
    return sources


def test_the_parser_joins_continuations_and_skips_comments() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nARG BASE=python:3.12-slim\nFROM ${BASE} AS build\n"
        'RUN a \\\n    # a comment inside\n    && b\nfrom $BASE\nCMD ["x", "y"]\n'
    )
    first, second = parse_stages(text)
    assert (first.base, first.name) == ("python:3.12-slim", "build")
    assert first.instructions == [Instruction("RUN", "a && b")]
    assert (second.base, second.name) == ("python:3.12-slim", None)
    assert second.instructions[0].exec_form() == ["x", "y"]


def test_the_image_is_built_in_stages_on_a_slim_python_base(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    builder, final = stages[0], stages[-1]
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", final.base)
    assert builder.base == final.base, "wheels built on another base may not fit the final one"
    assert builder.name, "the final stage takes the wheels from the named builder stage"


def test_the_builder_makes_wheels_of_the_project_and_its_dependencies(stages: list[Stage]) -> None:
    runs = [i.args for i in stages[0].all("RUN")]
    assert any("pip wheel --no-deps --wheel-dir /wheels ." in run for run in runs)
    dependencies = [run for run in runs if "pip wheel" in run and "--no-deps" not in run]
    assert dependencies and "--wheel-dir /wheels --requirement" in dependencies[0]
    assert "['project']['dependencies']" in dependencies[0]  # exactly pyproject's dependencies


def test_the_final_stage_installs_only_the_wheels_and_leaves_them_out(
    stages: list[Stage], final: Stage
) -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["name"]
    installs = [i.args for i in final.all("RUN") if "pip install" in i.args]
    assert len(installs) == 1
    install = installs[0]
    assert f"--mount=type=bind,from={stages[0].name},source=/wheels,target=/wheels" in install
    assert "--no-index" in install and "--find-links=/wheels" in install
    assert "--no-cache-dir" in install
    assert install.split()[-1] == project
    assert not [i for i in final.all("COPY") if "/wheels" in i.args], "a copy would stay a layer"


def test_the_final_stage_has_no_build_tools(final: Stage) -> None:
    for instruction in final.all("RUN"):
        assert not re.search(r"build-essential|gcc|g\+\+|apt-get install|apk add", instruction.args)
    for instruction in final.all("COPY") + final.all("ADD"):
        assert not re.search(r"\btests\b|\bdocs\b|\.git\b", instruction.args)


def test_the_final_stage_runs_as_a_numeric_non_root_user(final: Stage) -> None:
    user = final.last("USER")
    assert user is not None
    uid, _, gid = user.args.partition(":")
    assert uid.isdigit() and int(uid) > 0
    assert gid.isdigit() and int(gid) > 0
    runs = " ".join(i.args for i in final.all("RUN"))
    assert f"--uid {uid}" in runs and f"--gid {gid}" in runs
    assert "--shell /usr/sbin/nologin" in runs
    assert final.instructions.index(user) > max(
        final.instructions.index(i) for i in final.all("RUN")
    ), "USER comes after the last RUN, so the process cannot change the installed code"


def test_the_environment_suits_a_read_only_container(final: Stage) -> None:
    env = final.env()
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["HOST"] == "0.0.0.0"
    assert env["HOME"] == "/tmp"
    expose = final.last("EXPOSE")
    assert expose is not None and expose.args == env["PORT"] == "8080"
    workdir = final.last("WORKDIR")
    assert workdir is not None and workdir.args == "/home/app"


def test_the_command_is_gunicorn_with_our_config_and_jobs_can_replace_it(final: Stage) -> None:
    cmd = final.last("CMD")
    assert cmd is not None
    argv = cmd.exec_form()
    assert argv == ["gunicorn", "--config", "python:app.gunicorn_conf", "app.wsgi:app"]
    assert (PROJECT_ROOT / "app" / "gunicorn_conf.py").is_file()
    assert (PROJECT_ROOT / "app" / "wsgi.py").is_file()
    assert final.last("ENTRYPOINT") is None, "a Job's command must replace the whole command"
    scripts = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["crowdsource"] == "ops.cli:main"


def test_the_image_carries_oci_labels(final: Stage) -> None:
    labels = " ".join(i.args for i in final.all("LABEL"))
    for key in ("source", "licenses", "title"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_dockerignore_keeps_tests_history_venvs_and_secrets_out() -> None:
    patterns = dockerignore_patterns()
    for path in (".git", ".venv", ".env", "tests", "test-results", "docs", "infra", ".ci"):
        assert ignored(path, patterns), path
    for path in ("Pulumi.yaml", "Pulumi.prod.yaml", "app/__pycache__/x.pyc", "x.egg-info"):
        assert ignored(path, patterns), path
    for path in ("app/wsgi.py", "migrations/0001_initial_schema.up.sql", "pyproject.toml"):
        assert not ignored(path, patterns), path


def test_everything_the_builder_copies_is_in_the_build_context(stages: list[Stage]) -> None:
    patterns = dockerignore_patterns()
    sources = builder_copy_sources(stages[0])
    assert {"pyproject.toml", "app", "ops", "migrations"} <= set(sources)
    for source in sources:
        assert (PROJECT_ROOT / source).exists(), source
        assert not ignored(source, patterns), source


def package_files() -> list[str]:
    """Every file of the packages the image needs (sources, templates, static files, SQL)."""
    found = []
    for top in ("app", "ops", "migrations"):
        for path in sorted((PROJECT_ROOT / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.append(path.relative_to(PROJECT_ROOT).as_posix())
    return found


@pytest.mark.slow
def test_the_builder_stage_wheel_holds_everything_the_app_needs(
    stages: list[Stage], tmp_path: Path
) -> None:
    # The build context as the builder stage sees it: only the paths it copies.
    context = tmp_path / "src"
    context.mkdir()
    for source in builder_copy_sources(stages[0]):
        origin = PROJECT_ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, context / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, context / source)
    out = tmp_path / "wheels"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), "."],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("crowdsource_platform-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()

    for needed in ("app/wsgi.py", "app/gunicorn_conf.py", "ops/cli.py"):
        assert needed in names
    assert any(re.fullmatch(r"migrations/\d{4}_\w+\.up\.sql", n) for n in names)
    assert any(n.startswith("app/web/templates/") for n in names)
    assert any(n.startswith("app/web/static/js/") for n in names)
    missing = [path for path in package_files() if path not in names]
    assert not missing, f"left out of the wheel (and so of the image): {missing}"
    assert not [n for n in names if n.startswith(("tests/", "docs/", "infra/"))]
    assert re.search(r"^crowdsource = ops\.cli:main$", scripts, re.MULTILINE)


def test_the_final_stage_has_every_face_a_certificate_is_set_in(final: Stage) -> None:
    from app.certificates.fonts import DEFAULT_DIR, all_faces

    copied: set[str] = set()
    for instruction in final.all("COPY"):
        words = instruction.args.split()
        if "--from=fonts" in words and words[-1].rstrip("/") == str(DEFAULT_DIR):
            copied |= {w for w in words[1:-1] if not w.startswith("--")}
    assert copied == {f"{DEFAULT_DIR}/{face}" for face in all_faces()}
