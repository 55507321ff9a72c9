#!/usr/bin/env python3
"""The benchmark of issue 4 (`make bench`): one table, the verdicts compared, the targets.

    .venv/bin/python bench/run.py [--out DIR] [--runs N] [--example-runs N]

Every measurement is a fresh process (interpreter start included) timed from spawn to exit, with
its peak memory (the child's maximum resident set size, from `os.wait4`); each case keeps its
fastest run:

1. `python render.py validate` on the shipped example, with no cache (best of 5);
2. `render` then `validate` on generated repositories of 100, 500 and 1,000 child Applications
   (`bench/generate.py --envs 5 --apps 11 | 68 | 140`), each run on a fresh copy with an empty
   user cache (best of 3): `render` stores its rendering there, and `validate` takes it;
3. the platform shape peers are measured on: 20 environments of 32 apps (1,000 child
   Applications, `bench/generate.py --envs 20 --apps 32`): `render` into an empty output, then
   `validate`, then the two pre-commit hooks' commands, `render --check` and `validate`; then,
   the everyday loop, one app's source edited, `render` and `validate` again; each run on a
   fresh copy with an empty user cache (best of 3);
4. `python render.py validate --manifests STREAM --format json` and
   `kubernetes-validate --strict -k VERSION STREAM` on the same 1,000-object stream
   (`bench/manifests.py`), alternating, best of 3 each; then which objects each one fails;
5. with `--chart-cache DIR` (the example's upstream charts, as `charts pull` leaves them):
   `python render.py validate --helm --chart-cache DIR` on the example against the bare
   `helm template` runs of the same releases one after another (`bench/helm.py`), best of 3 each.

Generated files stay under `bench/out/` (git-ignored) for profiling. Targets are printed as
PASS/FAIL lines and never change the exit code: 0 when every command ran, 2 when a measured
command crashed (an exit code it never returns for findings, or a signal).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

if not __package__:  # run as `python bench/run.py`: make the `bench` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import generate, helm, manifests

PROJECT = Path(__file__).resolve().parents[1]
RENDER = PROJECT / "render.py"
KUBERNETES_VALIDATE = Path(sys.executable).parent / "kubernetes-validate"
ENVIRONMENTS = 5
TARGET_SIZES = (100, 500, 1000)
STREAM_OBJECTS = 1000
MB = 1024  # KiB per MB: ru_maxrss is in KiB on Linux

EXAMPLE_LIMIT_S = 0.3
LARGE_LIMIT_S = 5.0
LARGE_LIMIT_MB = 300.0
GROWTH_LIMIT = 2.2
SPEEDUP_TARGET = 30.0
WIDE_ENVIRONMENTS, WIDE_APPS = 20, 32
WIDE_RENDER_VALIDATE_S = 0.66
WIDE_HOOKS_S = 0.5
HELM_LIMIT = 1.0  # validate --helm at most the bare helm runs' time

FINDINGS = (0, 1)  # validators exit 1 for findings; that is a result, not a crash
SUCCESS = (0,)


class Crash(Exception):
    """A measured command ended in a way it never does for a result."""


class Run(NamedTuple):
    """One process: wall seconds from spawn to exit, peak resident memory, and its output."""

    wall: float
    cpu: float  # user + system seconds of the process
    peak_kib: int
    code: int
    stdout: str
    stderr: str


def measure(
    argv: Sequence[str], cwd: Path, expected: Sequence[int], env: Mapping[str, str] | None = None
) -> Run:
    """Run `argv` once in a fresh process (``env`` added to this one's environment); raise
    Crash on an unexpected exit."""
    environment = {**os.environ, **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        run = Run(wall, cpu, usage.ru_maxrss, code, _text(out), _text(err))
    if code not in expected:
        tail = "\n".join(run.stderr.splitlines()[-15:])
        raise Crash(f"`{' '.join(map(str, argv))}` exited {code} in {cwd}\n{tail}")
    return run


def _text(file: Any) -> str:
    file.seek(0)
    return str(file.read().decode("utf-8", "replace"))


def best(runs: Sequence[Run]) -> Run:
    return min(runs, key=lambda run: run.wall)


def peak_mb(runs: Sequence[Run]) -> float:
    return max(run.peak_kib for run in runs) / MB


def progress(message: str) -> None:
    """What is being measured, on standard error, so a long run shows it is alive."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def gitopsctl(*args: str | Path) -> list[str]:
    return [sys.executable, str(RENDER), *map(str, args)]


# --- the cases ---


class Row(NamedTuple):
    case: str
    objects: int
    wall: float
    cpu: float
    peak_mb: float
    ratio: str = ""

    @property
    def rate(self) -> float:
        return self.objects / self.wall if self.wall else 0.0


def child_applications(repo: Path) -> int:
    """Application files under applications/<env>/, without each root and project."""
    files = repo.glob("applications/*/*.yaml")
    return sum(1 for file in files if file.name not in ("root.yaml", "project.yaml"))


def example_case(runs: int) -> Row:
    progress(f"validate on the example, {runs} runs")
    no_cache = {"GITOPSCTL_NO_CACHE": "1"}  # a result given again would be measured
    measured = [measure(gitopsctl("validate"), PROJECT, FINDINGS, no_cache) for _ in range(runs)]
    case, chosen = f"example: validate (best of {runs})", best(measured)
    return Row(case, child_applications(PROJECT), chosen.wall, chosen.cpu, peak_mb(measured))


class RepoResult(NamedTuple):
    target: int
    applications: int
    render: Run
    validate: Run
    peak_mb: float
    note: str

    @property
    def total(self) -> float:
        return self.render.wall + self.validate.wall

    @property
    def cpu(self) -> float:
        return self.render.cpu + self.validate.cpu


def fresh_user_cache(out: Path) -> None:
    """An empty user cache for the next commands: no rendering an earlier run stored is taken
    (a trial's copy has the same path and sources as the one before it)."""
    folder = out / "user-cache"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    os.environ["XDG_CACHE_HOME"] = str(folder)


def repo_case(target: int, out: Path, runs: int) -> RepoResult:
    """Generate once, then `runs` times: a fresh copy, `render`, then `validate`."""
    apps = generate.apps_for(target, ENVIRONMENTS)
    pristine, trial = out / f"repo-{target}", out / f"repo-{target}-run"
    shutil.rmtree(pristine, ignore_errors=True)
    count = generate.generate(pristine, ENVIRONMENTS, apps)
    progress(
        f"render and validate {count} Applications ({ENVIRONMENTS} envs, {apps} apps), {runs} runs"
    )
    pairs: list[tuple[Run, Run]] = []
    for _ in range(runs):
        shutil.rmtree(trial, ignore_errors=True)
        shutil.copytree(pristine, trial)
        fresh_user_cache(out)
        rendered = measure(gitopsctl("--repo", trial, "render"), trial, SUCCESS)
        pairs.append((rendered, measure(gitopsctl("--repo", trial, "validate"), trial, FINDINGS)))
    render, validate = min(pairs, key=lambda pair: pair[0].wall + pair[1].wall)
    every = [run for pair in pairs for run in pair]
    return RepoResult(target, count, render, validate, peak_mb(every), _repo_note(trial, count))


def _repo_note(trial: Path, expected: int) -> str:
    found = child_applications(trial)
    return "" if found == expected else f"rendered {found} Applications, expected {expected}"


def repo_rows(results: Sequence[RepoResult]) -> list[Row]:
    rows = []
    previous: RepoResult | None = None
    for result in results:
        label, count = f"{result.applications} Applications", result.applications
        render, validate = result.render, result.validate
        ratio = (
            f"{result.total / previous.total:.2f}x the time of {previous.applications} "
            f"(cpu {result.cpu / previous.cpu:.2f}x)"
            if previous
            else ""
        )
        rows += [
            Row(f"{label}: render", count, render.wall, render.cpu, render.peak_kib / MB),
            Row(f"{label}: validate", count, validate.wall, validate.cpu, validate.peak_kib / MB),
            Row(
                f"{label}: render+validate", count, result.total, result.cpu, result.peak_mb, ratio
            ),
        ]
        previous = result
    return rows


class WideResult(NamedTuple):
    """The 20-environment shape: a fresh render, validate, and the hooks' two commands."""

    applications: int
    render: Run
    validate: Run
    check: Run
    peak_mb: float
    edited_render: Run  # then one app's source edited: the everyday loop
    edited_validate: Run

    @property
    def render_validate(self) -> float:
        return self.render.wall + self.validate.wall

    @property
    def hooks(self) -> float:
        return self.check.wall + self.validate.wall


def wide_case(out: Path, runs: int) -> WideResult:
    """`runs` times on a fresh copy: `render`, `validate`, `render --check`; the fastest each."""
    pristine, trial = out / "repo-wide", out / "repo-wide-run"
    shutil.rmtree(pristine, ignore_errors=True)
    count = generate.generate(pristine, WIDE_ENVIRONMENTS, WIDE_APPS)
    progress(f"{WIDE_ENVIRONMENTS} environments of {WIDE_APPS} apps ({count} Applications)")
    renders, validates, checks, edited_renders, edited_validates = [], [], [], [], []
    for _ in range(runs):
        shutil.rmtree(trial, ignore_errors=True)
        shutil.copytree(pristine, trial)
        fresh_user_cache(out)
        renders.append(measure(gitopsctl("--repo", trial, "render"), trial, SUCCESS))
        validates.append(measure(gitopsctl("--repo", trial, "validate"), trial, FINDINGS))
        checks.append(measure(gitopsctl("--repo", trial, "render", "--check"), trial, SUCCESS))
        edit_one_app(trial)
        edited_renders.append(measure(gitopsctl("--repo", trial, "render"), trial, SUCCESS))
        edited_validates.append(measure(gitopsctl("--repo", trial, "validate"), trial, FINDINGS))
    every = [*renders, *validates, *checks, *edited_renders, *edited_validates]
    chosen = best(renders), best(validates), best(checks)
    edited = best(edited_renders), best(edited_validates)
    return WideResult(count, *chosen, peak_mb(every), *edited)


def edit_one_app(repo: Path) -> None:
    """One more replica for the first synthetic app that has one: a values file per environment
    changes."""
    for path in sorted((repo / "sources/apps").glob("tool-*.yaml")):
        text = path.read_text(encoding="utf-8")
        if "\n  replicaCount: 1\n" in text:
            path.write_text(text.replace("\n  replicaCount: 1\n", "\n  replicaCount: 2\n", 1))
            return
    raise RuntimeError(f"no synthetic app with one replica in {repo}")


def wide_rows(result: WideResult) -> list[Row]:
    label, count = f"{WIDE_ENVIRONMENTS} envs x {WIDE_APPS} apps", result.applications
    render, validate, check = result.render, result.validate, result.check
    return [
        Row(f"{label}: render", count, render.wall, render.cpu, render.peak_kib / MB),
        Row(f"{label}: validate", count, validate.wall, validate.cpu, validate.peak_kib / MB),
        Row(f"{label}: render --check", count, check.wall, check.cpu, check.peak_kib / MB),
        Row(
            f"{label}: render+validate",
            count,
            result.render_validate,
            render.cpu + validate.cpu,
            result.peak_mb,
        ),
        Row(
            f"{label}: hooks (check+validate)",
            count,
            result.hooks,
            check.cpu + validate.cpu,
            max(check.peak_kib, validate.peak_kib) / MB,
        ),
        *_edited_rows(result, label),
    ]


def _edited_rows(result: WideResult, label: str) -> list[Row]:
    render, validate = result.edited_render, result.edited_validate
    label, count = f"{label}, one app edited", result.applications
    return [
        Row(f"{label}: render", count, render.wall, render.cpu, render.peak_kib / MB),
        Row(f"{label}: validate", count, validate.wall, validate.cpu, validate.peak_kib / MB),
        Row(
            f"{label}: render+validate",
            count,
            render.wall + validate.wall,
            render.cpu + validate.cpu,
            max(render.peak_kib, validate.peak_kib) / MB,
        ),
    ]


class StreamResult(NamedTuple):
    ours: Run
    theirs: Run
    ours_peak_mb: float
    theirs_peak_mb: float


def stream_case(stream_file: Path, kube_version: str, runs: int) -> StreamResult:
    """Both validators over the same file, alternating, so both see the same machine state."""
    ours_argv = gitopsctl("--repo", PROJECT, "validate", "--manifests", stream_file)
    ours_argv += ["--format", "json", *kube_version_option(kube_version)]
    theirs_argv = [str(KUBERNETES_VALIDATE), "--strict", "-k", kube_version, str(stream_file)]
    ours: list[Run] = []
    theirs: list[Run] = []
    progress(f"gitopsctl and kubernetes-validate on {stream_file.name}, {runs} runs each")
    for _ in range(runs):
        ours.append(measure(ours_argv, PROJECT, FINDINGS))
        theirs.append(measure(theirs_argv, PROJECT, FINDINGS))
    return StreamResult(best(ours), best(theirs), peak_mb(ours), peak_mb(theirs))


def kube_version_option(version: str) -> list[str]:
    """`--kube-version VERSION` once gitopsctl has it (the platform's version is its default)."""
    help_text = subprocess.run(
        gitopsctl("validate", "--help"), capture_output=True, text=True, check=False
    ).stdout
    return ["--kube-version", version] if "--kube-version" in help_text else []


def platform_kube_version() -> str:
    text = (PROJECT / "sources/platform.yaml").read_text(encoding="utf-8")
    found = re.search(r"^kubernetesVersion:\s*[\"']?([0-9]+\.[0-9]+)", text, re.MULTILINE)
    if found is None:
        raise Crash("sources/platform.yaml has no kubernetesVersion")
    return found.group(1)


def stream_rows(result: StreamResult, runs: int) -> list[Row]:
    speedup = result.theirs.wall / result.ours.wall
    cpu_speedup = result.theirs.cpu / result.ours.cpu
    return [
        Row(
            f"manifests: gitopsctl (best of {runs})",
            STREAM_OBJECTS,
            result.ours.wall,
            result.ours.cpu,
            result.ours_peak_mb,
        ),
        Row(
            f"manifests: kubernetes-validate (best of {runs})",
            STREAM_OBJECTS,
            result.theirs.wall,
            result.theirs.cpu,
            result.theirs_peak_mb,
            f"{speedup:.1f}x the time of gitopsctl (cpu {cpu_speedup:.1f}x)",
        ),
    ]


# --- verdicts: which objects each validator fails ---

PASS, FAIL, NO_SCHEMA = "pass", "fail", "no schema"
SCHEMA_RULE = "manifest-schema"
KV_LINE = re.compile(
    r"^(?:INFO .* passed for resource (?P<passed>\S+) "
    r"|ERROR .* did not validate for resource (?P<failed>\S+) "
    r"|(?P<warned>WARN) "
    r"|ERROR .* could not be validated: )"
)
OBJECT_KEY = re.compile(r"\b[A-Z][A-Za-z0-9]*/[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*")


class Verdicts(NamedTuple):
    """Each object's verdict by its key, or why they could not be read."""

    by_key: dict[str, str]
    problem: str = ""


def kubernetes_validate_verdicts(
    output: str, objects: Sequence[manifests.StreamObject]
) -> Verdicts:
    """One output line per object, in stream order (no --quiet); each naming `kind/name`."""
    lines = [line for line in output.splitlines() if KV_LINE.match(line)]
    if len(lines) != len(objects):
        return Verdicts({}, f"{len(lines)} verdict lines for {len(objects)} objects")
    found = {}
    for line, obj in zip(lines, objects, strict=True):
        match = KV_LINE.match(line)
        assert match is not None
        named = match.group("passed") or match.group("failed")
        if named is not None and named != f"{obj.kind.lower()}/{obj.name}":
            return Verdicts({}, f"line {line!r} does not name object {obj.key}")
        found[obj.key] = (
            PASS if match.group("passed") else NO_SCHEMA if match.group("warned") else FAIL
        )
    return Verdicts(found)


def gitopsctl_verdicts(
    report: str, stream_file: Path, objects: Sequence[manifests.StreamObject]
) -> Verdicts:
    """Objects with a `manifest-schema` error fail; one with only a warning has no schema."""
    if not has_schema_rule():
        return Verdicts({}, f"gitopsctl has no {SCHEMA_RULE} rule yet (`render.py rules` lacks it)")
    try:
        findings = json.loads(report)["findings"]
    except (ValueError, KeyError, TypeError) as error:
        return Verdicts({}, f"its --format json output is unreadable: {error}")
    verdicts = {obj.key: PASS for obj in objects}
    by_key = {obj.key: obj for obj in objects}
    for finding in findings:
        if finding.get("rule") != SCHEMA_RULE or finding.get("excepted"):
            continue
        obj = _finding_object(finding, stream_file, by_key, objects)
        if obj is None:
            return Verdicts({}, f"a {SCHEMA_RULE} finding names no object of the stream: {finding}")
        verdict = FAIL if finding.get("severity") == "error" else NO_SCHEMA
        if verdicts[obj.key] != FAIL:
            verdicts[obj.key] = verdict
    return Verdicts(verdicts)


def _finding_object(
    finding: Mapping[str, Any],
    stream_file: Path,
    by_key: Mapping[str, manifests.StreamObject],
    objects: Sequence[manifests.StreamObject],
) -> manifests.StreamObject | None:
    """By the `kind/namespace/name` in its message, else by its file and line."""
    for key in OBJECT_KEY.findall(str(finding.get("message", ""))):
        if key in by_key:
            return by_key[key]
    if Path(str(finding.get("file", ""))).resolve() != stream_file.resolve():
        return None
    line = finding.get("line")
    return manifests.object_at(objects, line) if isinstance(line, int) else None


def has_schema_rule() -> bool:
    probe = subprocess.run(gitopsctl("rules", SCHEMA_RULE), capture_output=True, check=False)
    return probe.returncode == 0


class Comparison(NamedTuple):
    lines: list[str]
    identical: bool | None  # None: could not compare


def compare(ours: Verdicts, theirs: Verdicts, stream: manifests.Stream) -> Comparison:
    expected = {obj.key for obj in stream.objects if obj.invalid is not None}
    problems = [
        f"cannot compare: {who}: {verdicts.problem}"
        for who, verdicts in (("gitopsctl", ours), ("kubernetes-validate", theirs))
        if verdicts.problem
    ]
    if problems:
        return Comparison(problems, None)
    failing_ours = _with(ours, FAIL)
    failing_theirs = _with(theirs, FAIL)
    lines = [
        f"failing objects: gitopsctl {len(failing_ours)}, kubernetes-validate "
        f"{len(failing_theirs)}, deliberately invalid {len(expected)}; "
        f"both fail {len(failing_ours & failing_theirs)}",
        *_differences("only gitopsctl fails", failing_ours - failing_theirs),
        *_differences("only kubernetes-validate fails", failing_theirs - failing_ours),
        *_differences(
            "deliberately invalid, passed by both", expected - failing_ours - failing_theirs
        ),
        *_differences("no schema in gitopsctl", _with(ours, NO_SCHEMA)),
        *_differences("no schema in kubernetes-validate", _with(theirs, NO_SCHEMA)),
    ]
    identical = failing_ours == failing_theirs and _with(ours, NO_SCHEMA) == _with(
        theirs, NO_SCHEMA
    )
    return Comparison(lines, identical)


def _with(verdicts: Verdicts, verdict: str) -> set[str]:
    return {key for key, found in verdicts.by_key.items() if found == verdict}


def _differences(label: str, keys: set[str]) -> list[str]:
    return [f"{label} ({len(keys)}): {', '.join(sorted(keys))}"] if keys else []


# --- the report ---

HEADER = (
    f"{'case':<44} {'objects':>7} {'wall s':>8} {'obj/s':>8} {'cpu s':>7} {'peak MB':>8}  ratio"
)


def table(rows: Sequence[Row]) -> str:
    lines = [HEADER, "-" * (len(HEADER) + 22)]
    lines += [
        f"{row.case:<44} {row.objects:>7} {row.wall:>8.3f} {row.rate:>8.0f} {row.cpu:>7.3f} "
        f"{row.peak_mb:>8.1f}  {row.ratio}".rstrip()
        for row in rows
    ]
    return "\n".join(lines)


class Target(NamedTuple):
    met: bool
    text: str

    def line(self) -> str:
        return f"{'PASS' if self.met else 'FAIL'}  {self.text}"


def targets(
    example: Row,
    repos: Sequence[RepoResult],
    wide: WideResult,
    stream: StreamResult,
    comparison: Comparison,
) -> list[Target]:
    sizes = {result.target: result for result in repos}
    large, half = sizes[1000], sizes[500]
    speedup = stream.theirs.wall / stream.ours.wall
    growth = large.total / half.total
    agreement = (
        "verdicts could not be compared"
        if comparison.identical is None
        else "identical verdicts"
        if comparison.identical
        else "verdicts differ"
    )
    return [
        Target(
            example.wall < EXAMPLE_LIMIT_S,
            f"example validate < {EXAMPLE_LIMIT_S} s wall: {example.wall:.3f} s",
        ),
        Target(
            large.total < LARGE_LIMIT_S,
            f"{large.applications} Applications render+validate < {LARGE_LIMIT_S:g} s: "
            f"{large.total:.2f} s",
        ),
        Target(
            large.peak_mb < LARGE_LIMIT_MB,
            f"{large.applications} Applications peak memory < {LARGE_LIMIT_MB:g} MB: "
            f"{large.peak_mb:.1f} MB",
        ),
        Target(
            growth <= GROWTH_LIMIT,
            f"time({large.applications}) / time({half.applications}) <= {GROWTH_LIMIT}: "
            f"{growth:.2f}",
        ),
        Target(
            wide.render_validate <= WIDE_RENDER_VALIDATE_S,
            f"{WIDE_ENVIRONMENTS} environments render+validate <= {WIDE_RENDER_VALIDATE_S} s: "
            f"{wide.render_validate:.2f} s",
        ),
        Target(
            wide.hooks <= WIDE_HOOKS_S,
            f"{WIDE_ENVIRONMENTS} environments render --check + validate <= {WIDE_HOOKS_S} s: "
            f"{wide.hooks:.2f} s",
        ),
        Target(
            speedup >= SPEEDUP_TARGET,
            f"manifests >= {SPEEDUP_TARGET:g}x faster than kubernetes-validate: {speedup:.1f}x",
        ),
        Target(bool(comparison.identical), f"manifests verdicts identical: {agreement}"),
    ]


def machine() -> str:
    return (
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )


def helm_case(cache: Path, runs: int) -> helm.HelmResult:
    """`validate --helm` on the example and the bare helm runs it needs, alternating."""
    progress(f"validate --helm with the charts in {cache}, {runs} runs")
    command = gitopsctl("validate", "--helm", "--chart-cache", cache)
    measured, bare = [], []
    for _ in range(runs):
        measured.append(measure(command, PROJECT, FINDINGS))
        releases, seconds = helm.bare_helm_seconds(PROJECT, cache)
        bare.append(seconds)
    chosen = best(measured)
    return helm.HelmResult(releases, chosen.wall, chosen.cpu, peak_mb(measured), min(bare))


def helm_rows(result: helm.HelmResult) -> list[Row]:
    ratio = f"{result.validate_wall / result.bare_wall:.2f}x the bare helm runs"
    return [
        Row("example: helm template, one by one", result.releases, result.bare_wall, 0.0, 0.0),
        Row(
            "example: validate --helm",
            result.releases,
            result.validate_wall,
            result.validate_cpu,
            result.validate_peak_mb,
            ratio,
        ),
    ]


def helm_target(result: helm.HelmResult) -> Target:
    return Target(
        result.validate_wall <= HELM_LIMIT * result.bare_wall,
        f"validate --helm <= the bare helm template runs: {result.validate_wall:.2f} s vs "
        f"{result.bare_wall:.2f} s",
    )


# --- the whole run ---


class Results(NamedTuple):
    kube_version: str
    load_before: float
    example: Row
    repos: list[RepoResult]
    wide: WideResult
    stream: StreamResult
    stream_file: Path
    comparison: Comparison
    helm: helm.HelmResult | None


def measure_all(out: Path, runs: int, example_runs: int, cache: Path | None) -> Results:
    out.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    kube_version = platform_kube_version()
    stream = manifests.manifest_stream(STREAM_OBJECTS)
    stream_file = out / f"stream-{STREAM_OBJECTS}.yaml"
    stream_file.write_text(stream.text, encoding="utf-8")
    example = example_case(example_runs)
    repos = [repo_case(size, out, runs) for size in TARGET_SIZES]
    wide = wide_case(out, runs)
    measured = stream_case(stream_file, kube_version, runs)
    theirs = kubernetes_validate_verdicts(measured.theirs.stdout, stream.objects)
    ours = gitopsctl_verdicts(measured.ours.stdout, stream_file, stream.objects)
    comparison = compare(ours, theirs, stream)
    helm_result = helm_case(cache, runs) if cache is not None else None
    return Results(
        kube_version,
        load_before,
        example,
        repos,
        wide,
        measured,
        stream_file,
        comparison,
        helm_result,
    )


def report(results: Results, runs: int) -> str:
    repos, load_after = results.repos, os.getloadavg()[0]
    rows = [
        results.example,
        *repo_rows(repos),
        *wide_rows(results.wide),
        *stream_rows(results.stream, runs),
        *(helm_rows(results.helm) if results.helm else []),
    ]
    notes = [f"{r.applications} Applications: {r.note}" for r in repos if r.note]
    notes += [f"{r.applications} Applications: validate exited {r.validate.code}" for r in repos]
    found = targets(results.example, repos, results.wide, results.stream, results.comparison)
    if results.helm is not None:
        found.append(helm_target(results.helm))
    else:
        notes.append("validate --helm not measured: pass --chart-cache DIR (BENCH_CHART_CACHE)")
    return "\n".join(
        [
            f"gitopsctl benchmark: {machine()}; Kubernetes {results.kube_version}",
            "fresh processes, interpreter start included; wall and cpu of the fastest run, "
            f"peak memory of the largest; load average {results.load_before:.1f} before, "
            f"{load_after:.1f} after",
            "",
            table(rows),
            *(f"note: {note}" for note in notes if not note.endswith("exited 0")),
            "",
            f"verdicts on the {STREAM_OBJECTS}-object stream ({results.stream_file}):",
            *(f"  {line}" for line in results.comparison.lines),
            "",
            "targets:",
            *(f"  {target.line()}" for target in found),
        ]
    )


def run(out: Path, runs: int, example_runs: int, cache: Path | None) -> int:
    started = time.perf_counter()
    print(report(measure_all(out, runs, example_runs, cache), runs))
    print(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "bench/out", help="work directory")
    parser.add_argument("--runs", type=int, default=3, help="runs per generated repo and stream")
    parser.add_argument("--example-runs", type=int, default=5, help="runs on the example")
    parser.add_argument(
        "--chart-cache", type=Path, help="the example's upstream charts: measure validate --helm"
    )
    args = parser.parse_args(argv)
    try:
        return run(args.out, max(args.runs, 1), max(args.example_runs, 1), args.chart_cache)
    except Crash as crash:
        print(f"error: a measured command crashed: {crash}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
