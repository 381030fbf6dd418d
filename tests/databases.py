"""The databases storage tests run on: a SQLite file, and PostgreSQL when the CI names one.

`DATABASES` is the `params=` of a fixture that runs on both kinds; `empty_database` gives the URL
of an empty one of a kind (PostgreSQL: the test server with its schema dropped, since earlier
runs leave their rows).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from service.store.db import downgrade, make_engine

POSTGRES = os.environ.get("CROSSCHECK_TEST_POSTGRES_URL")

DATABASES: list[Any] = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not POSTGRES, reason="CROSSCHECK_TEST_POSTGRES_URL is not set (.ci/run sets it)"
            ),
        ],
    ),
]


def empty_database(kind: str, folder: Path) -> str:
    """The URL of an empty database of this kind ("sqlite": a new file in `folder`)."""
    if kind == "sqlite":
        return f"sqlite:///{folder / 'store.db'}"
    assert POSTGRES is not None
    engine = make_engine(POSTGRES)
    downgrade(engine)
    engine.dispose()
    return POSTGRES
