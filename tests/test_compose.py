"""docker-compose.yml, checked without Docker: its services, health checks and volumes, its
CROSSCHECK_* environment against the settings, and its commands against the command line.
(tests/test_workers.py runs the same topology — API, Celery workers, PostgreSQL, Redis — as
local processes.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from service.cli import main
from service.config import Settings

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "CROSSCHECK_"
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The parsed compose file (anchors resolved)."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


def _resolved(value: str) -> str:
    """A value with each `${NAME:-default}` replaced by its default, as compose does when the
    variable is unset; any other `${...}` is refused (it would need the caller's shell)."""
    value = _DEFAULTED.sub(lambda m: m.group(2), value)
    assert "${" not in value, f"{value!r} needs a variable without a default"
    return value


def _crosscheck_environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service["environment"]
    assert isinstance(environment, dict), "environment as a mapping"
    return {k: _resolved(str(v)) for k, v in environment.items() if k.startswith(PREFIX)}


def test_the_services_are_the_api_the_workers_postgres_and_redis(
    compose: dict[str, Any],
) -> None:
    assert set(compose["services"]) == {"api", "worker", "postgres", "redis"}
    api = compose["services"]["api"]
    assert int(_resolved(str(api["deploy"]["replicas"]))) >= 2
    assert any(str(p).endswith(":8000") for p in api["ports"])


@pytest.mark.parametrize("name", ["api", "worker", "postgres", "redis"])
def test_every_service_has_a_health_check(compose: dict[str, Any], name: str) -> None:
    check = compose["services"][name]["healthcheck"]
    assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) >= 2
    assert "interval" in check and "retries" in check


def test_the_databases_keep_their_data_in_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, path in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        mounts = [str(m).split(":") for m in compose["services"][name]["volumes"]]
        volumes = [volume for volume, target in mounts if target == path]
        assert volumes and set(volumes) <= declared, name


def test_the_api_and_workers_wait_for_healthy_databases(compose: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        depends = compose["services"][name]["depends_on"]
        assert {k: v["condition"] for k, v in depends.items()} == {
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }


def test_every_crosscheck_variable_is_a_setting_and_they_make_valid_settings(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {PREFIX + name.upper() for name in Settings.model_fields}
    api = _crosscheck_environment(compose["services"]["api"])
    worker = _crosscheck_environment(compose["services"]["worker"])
    # The API and the workers share the database and the broker, and all the rest.
    assert api == worker
    assert set(api) <= fields, sorted(set(api) - fields)
    for name, value in api.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.broker_url is not None
    # Their hosts are the compose services, on the ports those servers listen on.
    database, broker = urlsplit(settings.database_url), urlsplit(settings.broker_url)
    assert (database.hostname, database.port) == ("postgres", 5432)
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    postgres = compose["services"]["postgres"]["environment"]
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == _resolved(postgres["POSTGRES_PASSWORD"])
    assert database.path == "/" + postgres["POSTGRES_DB"]


@pytest.mark.parametrize(("name", "subcommand"), [("api", "serve"), ("worker", "worker")])
def test_the_commands_are_valid_crosscheck_commands(
    compose: dict[str, Any], name: str, subcommand: str
) -> None:
    command = compose["services"][name]["command"]
    assert command[:2] == ["crosscheck", subcommand]
    group = main
    assert isinstance(group, click.Group)
    found = group.commands[subcommand]
    # Parsing checks every option and its value, without running the command.
    with found.make_context(subcommand, list(command[2:])) as context:
        assert context.params


def test_the_readme_shows_how_to_scale_the_workers() -> None:
    assert "docker compose up --scale worker=4" in (ROOT / "README.md").read_text("utf-8")
