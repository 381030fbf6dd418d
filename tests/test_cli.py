"""The `crosscheck` command through click's runner, on the session's real core."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from models.labels import Reason, Relation, Verdict
from service import cli
from service.config import Settings
from service.core import Crosscheck

PAIRS = (
    "claim\tevidence\n"
    "Two drones were shot down.\tSecurity forces shot down three drones.\n"
    "Qaani arrived in Baghdad on Sunday.\tQaani arrived in Baghdad on Sunday night.\n"
    "Tehran denied the visit.\tThe weather in Oslo was mild.\n"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def shared_core(core: Crosscheck, monkeypatch: pytest.MonkeyPatch) -> Crosscheck:
    """Commands use the session's core (models load once) and leave it open."""

    @contextmanager
    def use_session_core(settings: Settings) -> Iterator[Crosscheck]:
        yield core

    monkeypatch.setattr(cli, "_core", use_session_core)
    monkeypatch.setattr(cli, "_analyser", lambda settings: core.analyser)
    return core


@pytest.fixture
def seed_files(seeds_dir: Path) -> list[str]:
    return [str(seeds_dir / "iranwire.txt"), str(seeds_dir / "guardian.txt")]


@pytest.mark.usefixtures("shared_core")
def test_compare_prints_a_report(runner: CliRunner, seed_files: list[str]) -> None:
    result = runner.invoke(cli.main, ["compare", *seed_files])
    assert result.exit_code == 0, result.output
    out = result.output
    headings = [line.lower() for line in out.splitlines() if line.startswith("== ")]
    assert len(headings) == 2
    assert headings[0].startswith("== iranwire") and headings[1].startswith("== guardian")
    assert "corroborated" in out and "single-source" in out
    markers = ("[+] ", "[!] ", "[ ] ")
    assert sum(line.startswith(markers) for line in out.splitlines()) >= 4
    assert "<" not in out


@pytest.mark.usefixtures("shared_core")
def test_compare_says_how_a_claim_with_a_pronoun_was_compared(
    runner: CliRunner, tmp_path: Path
) -> None:
    first, second = tmp_path / "dayton.txt", tmp_path / "wire.txt"
    first.write_text(
        "Maria Lopez, 42, was taken to Mercy Hospital on Sunday after the crash on Route 9."
        "\n\nShe was released on Monday afternoon.\n",
        encoding="utf-8",
    )
    second.write_text(
        "Maria Lopez was released from Mercy Hospital on Monday afternoon, her family said.\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli.main, ["compare", str(first), str(second)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = next(i for i, line in enumerate(lines) if "She was released on Monday" in line)
    assert lines[at].startswith("[+] ")
    assert lines[at + 1].strip() == "compared as “Maria Lopez was released on Monday afternoon.”"
    assert sum("compared as" in line for line in lines) == 1


@pytest.mark.usefixtures("shared_core")
def test_compare_json_has_the_contract_shape(runner: CliRunner, seed_files: list[str]) -> None:
    result = runner.invoke(
        cli.main, ["compare", *seed_files, "--source", "IranWire", "--source", "Guardian", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == {"articles", "story"}
    # Names are kept as given: "Guardian" is one outlet with "The Guardian" by its key.
    assert [a["source"] for a in report["articles"]] == ["IranWire", "Guardian"]
    assert isinstance(report["story"], dict) and report["story"]["articles"] == 2
    claims = [c for a in report["articles"] for c in a["claims"]]
    assert claims
    for claim in claims:
        assert {"id", "text", "start", "end", "verdict", "evidence"} <= set(claim)
        assert isinstance(claim["id"], str) and isinstance(claim["text"], str)
        assert isinstance(claim["start"], int) and isinstance(claim["end"], int)
        assert claim["verdict"] in {v.value for v in Verdict}
        for ev in claim["evidence"]:
            assert {"source", "text", "relation", "reason", "explanation", "score"} <= set(ev)
            assert ev["relation"] in {"supports", "contradicts"}
            assert ev["reason"] in {r.value for r in Reason}
            assert isinstance(ev["score"], float)


@pytest.mark.usefixtures("shared_core")
def test_compare_source_defaults_to_the_file_stem(runner: CliRunner, seed_files: list[str]) -> None:
    result = runner.invoke(cli.main, ["compare", *seed_files, "--source", "IW", "--json"])
    assert result.exit_code == 0, result.output
    assert [a["source"] for a in json.loads(result.output)["articles"]] == ["IW", "guardian"]


def test_compare_usage_errors_exit_2(runner: CliRunner, seed_files: list[str]) -> None:
    assert runner.invoke(cli.main, ["compare"]).exit_code == 2
    assert runner.invoke(cli.main, ["compare", "no-such-file.txt"]).exit_code == 2
    too_many = ["compare", seed_files[0], "--source", "A", "--source", "B"]
    assert runner.invoke(cli.main, too_many).exit_code == 2


@pytest.mark.usefixtures("shared_core")
def test_compare_input_errors_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Caf\xe9 owners said two drones flew over.".encode("latin-1"))
    result = runner.invoke(cli.main, ["compare", str(latin1)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    furniture = tmp_path / "furniture.txt"
    furniture.write_text("Close button\nReuse this content\n1 min read\n", encoding="utf-8")
    result = runner.invoke(cli.main, ["compare", str(furniture)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error:")


def check_judgements(output: str, rows: int) -> None:
    lines = output.splitlines()
    assert len(lines) == rows
    for line in lines:
        relation, probability, reason = line.split("\t")
        assert relation in {r.value for r in Relation}
        assert 0.0 <= float(probability) <= 1.0
        assert reason in {r.value for r in Reason}


@pytest.mark.usefixtures("shared_core")
def test_judge_file(runner: CliRunner, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(PAIRS, encoding="utf-8")
    result = runner.invoke(cli.main, ["judge", str(pairs)])
    assert result.exit_code == 0, result.output
    check_judgements(result.stdout, 3)


@pytest.mark.usefixtures("shared_core")
def test_judge_stdin_keeps_input_order(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli.main, ["judge", "-"], input=PAIRS)
    assert result.exit_code == 0, result.output
    check_judgements(result.stdout, 3)
    header, *rows = PAIRS.splitlines()
    reversed_input = "\n".join([header, *reversed(rows)]) + "\n"
    backwards = runner.invoke(cli.main, ["judge", "-"], input=reversed_input)
    forwards = [line.split("\t") for line in result.stdout.splitlines()]
    again = [line.split("\t") for line in backwards.stdout.splitlines()]
    for (rel, prob, reason), (rel2, prob2, reason2) in zip(reversed(forwards), again, strict=True):
        # Batching may move a probability in its last digits; the judgement itself must not move.
        assert (rel, reason) == (rel2, reason2)
        assert abs(float(prob) - float(prob2)) < 1e-3


@pytest.mark.usefixtures("shared_core")
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Two drones.\tThree drones.\n", "header"),
        ("", "header"),
        ("claim\tevidence\nTwo drones.\n", "line 2"),
        ("claim\tevidence\nok\tfine\na\tb\tc\n", "line 3"),
        ("claim\tevidence\n\tThree drones.\n", "line 2"),
    ],
)
def test_judge_malformed_file_exits_1(
    runner: CliRunner, tmp_path: Path, content: str, message: str
) -> None:
    pairs = tmp_path / "bad.tsv"
    pairs.write_text(content, encoding="utf-8")
    result = runner.invoke(cli.main, ["judge", str(pairs)])
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.usefixtures("shared_core")
def test_ingest_directory_then_again(
    runner: CliRunner, tmp_path: Path, seed_copy: Callable[[str, str], str]
) -> None:
    for name in ("iranwire", "guardian"):
        (tmp_path / f"{name}.txt").write_text(seed_copy(name, "ingest"), encoding="utf-8")
    first = runner.invoke(cli.main, ["ingest", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "created 2, already stored 0, rejected 0" in first.stdout
    second = runner.invoke(cli.main, ["ingest", str(tmp_path)])
    assert "created 0, already stored 2, rejected 0" in second.stdout


@pytest.mark.usefixtures("shared_core")
def test_ingest_jsonl(
    runner: CliRunner, tmp_path: Path, seed_copy: Callable[[str, str], str]
) -> None:
    rows = tmp_path / "rows.jsonl"
    articles = [
        {"text": seed_copy("iranwire", "jsonl"), "source": "IranWire", "story": "cli-jsonl"},
        {"text": "Close button\nReuse this content\n", "source": "Furniture"},
    ]
    rows.write_text("\n".join(json.dumps(a) for a in articles) + "\n\n", encoding="utf-8")
    result = runner.invoke(cli.main, ["ingest", str(rows)])
    assert "created 1, already stored 0, rejected 1" in result.stdout
    assert result.exit_code == 1
    assert "rows.jsonl:2" in result.stderr


@pytest.mark.usefixtures("shared_core")
def test_ingest_stores_the_good_rows_and_names_the_bad_ones(
    runner: CliRunner, tmp_path: Path, seed_copy: Callable[[str, str], str]
) -> None:
    rows = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps({"text": seed_copy("iranwire", "mixed 1"), "source": "IranWire"}),
        '{"text": 5}',
        "{not json",
        json.dumps({"text": seed_copy("guardian", "mixed 2"), "source": "The Guardian"}),
        "",
        json.dumps({"text": "Close button\nReuse this content\n", "source": "Furniture"}),
        json.dumps({"text": seed_copy("iranwire", "mixed 3"), "published_at": 1636279200}),
        json.dumps({"text": seed_copy("guardian", "mixed 4"), "source": "Guardian", "story": "m"}),
    ]
    rows.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Batches of two: bad rows fall in several batches, beside good ones.
    result = runner.invoke(cli.main, ["ingest", str(rows), "--batch-size", "2"])
    assert result.exit_code == 1, result.output
    assert "created 3, already stored 0, rejected 4" in result.stdout
    rejected = [line for line in result.stderr.splitlines() if ": rejected: " in line]
    assert [line.split(": rejected")[0] for line in rejected] == [
        "mixed.jsonl:2",
        "mixed.jsonl:3",
        "mixed.jsonl:6",
        "mixed.jsonl:7",
    ]
    assert "published_at" in rejected[3]
    assert "4 of 7 articles were rejected" in result.stderr
    assert "ingest" in result.stderr  # the progress bar
    again = runner.invoke(cli.main, ["ingest", str(rows), "--batch-size", "2"])
    assert "created 0, already stored 3, rejected 4" in again.stdout


@pytest.mark.usefixtures("shared_core")
def test_judge_streams_a_file_over_the_http_batch_limit(
    runner: CliRunner, tmp_path: Path, core: Crosscheck
) -> None:
    header, *rows = PAIRS.splitlines()
    count = core.settings.max_batch + 23
    body = [rows[i % len(rows)] for i in range(count)]
    pairs = tmp_path / "many.tsv"
    pairs.write_text("\n".join([header, *body]) + "\n", encoding="utf-8")
    result = runner.invoke(cli.main, ["judge", str(pairs), "--batch-size", "40"])
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert len(out) == count
    check_judgements(result.stdout, count)
    # Input order is kept across batches: every row repeats its pattern.
    assert out[0].split("\t")[0] == out[3].split("\t")[0] == out[-(count % 3 or 3)].split("\t")[0]
    assert f"{count}/" in result.stderr or f"{count}pair" in result.stderr.replace(" ", "")


def test_version(runner: CliRunner) -> None:
    from importlib.metadata import version

    result = runner.invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"crosscheck {version('crosscheck')}"


@pytest.mark.models
def test_judge_builds_its_own_core(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """One command end to end, without the session's core (it loads the models itself), and
    without a database: judging stores nothing, so the stored core is never built."""

    def no_store(*args: object, **kwargs: object) -> None:
        raise AssertionError("judge built the stored core")

    monkeypatch.setattr(cli, "Crosscheck", no_store)
    result = runner.invoke(cli.main, ["judge", "-"], input=PAIRS)
    assert result.exit_code == 0, result.output
    check_judgements(result.stdout, 3)


@pytest.mark.usefixtures("shared_core")
def test_compare_reads_html_and_prints_no_markup(
    runner: CliRunner, tmp_path: Path, seed_files: list[str]
) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(
        "<html><head><script>alert(1)</script></head><body><article>"
        "<h1>Drone attack on the prime minister's home</h1>"
        '<p onclick="alert(2)">Iraqi security sources said they shot down two other drones '
        "aimed at al-Kadhimi's residence in the Green Zone on Sunday.</p>"
        '<img src="x" onerror="alert(3)"><p>Ismail Qaani, commander of the Quds Force, arrived '
        "in Baghdad late on Sunday in an unannounced visit, officials said.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    for extra in ([], ["--json"]):
        result = runner.invoke(cli.main, ["compare", seed_files[0], str(page), *extra])
        assert result.exit_code == 0, result.output
        assert "<" not in result.stdout and "alert(" not in result.stdout
        assert "onerror" not in result.stdout and "onclick" not in result.stdout
    assert json.loads(result.stdout)["articles"][1]["source"] == "hostile"


def test_compare_opens_no_database(
    runner: CliRunner,
    tmp_path: Path,
    seed_files: list[str],
    core: Crosscheck,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """compare stores nothing: it runs on the analyser alone and never builds the stored core,
    so no database (configured or throw-away) is opened."""

    def no_store(*args: object, **kwargs: object) -> None:
        raise AssertionError("compare built the stored core")

    monkeypatch.setattr(cli, "Crosscheck", no_store)
    monkeypatch.setenv("CROSSCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'never.db'}")
    monkeypatch.setattr(cli, "_analyser", lambda settings: core.analyser)
    result = runner.invoke(cli.main, ["compare", *seed_files, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["story"]["articles"] == 2
    assert list(tmp_path.iterdir()) == []


def test_jobs_resend_needs_a_broker(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CROSSCHECK_BROKER_URL", raising=False)
    result = runner.invoke(
        cli.main, ["jobs", "resend", "--database-url", f"sqlite:///{tmp_path / 'jobs.db'}"]
    )
    assert result.exit_code == 2
    assert "CROSSCHECK_BROKER_URL" in result.output
    assert not (tmp_path / "jobs.db").exists()  # refused before opening anything
