"""Shared fixtures: one real core per test session (the models load once), one client per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.core import Crosscheck

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = FIXTURES / "seeds"


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings on a fresh SQLite file of this session."""
    db = tmp_path_factory.mktemp("db") / "t.db"
    return Settings(database_url=f"sqlite:///{db}", demo_dir=None)


@pytest.fixture(scope="session")
def core(settings: Settings) -> Iterator[Crosscheck]:
    """The real core, models and all, shared by every test of the session."""
    built = Crosscheck(settings)
    yield built
    built.close()


@pytest.fixture
def client(settings: Settings, core: Crosscheck) -> Iterator[TestClient]:
    """The app over the shared core, through the real HTTP stack in-process."""
    with TestClient(create_app(settings, core=core)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The two seed articles by source name: IranWire and the Guardian repost."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The directory of the two seed articles (iranwire.txt, guardian.txt)."""
    return SEEDS


@pytest.fixture(scope="session")
def seed_copy(seed_texts: dict[str, str]) -> Callable[[str, str], str]:
    """A seed article with one line added, so that each test stores its own article.

    The session shares one database and a second submission of the same text returns the stored
    article, so a test that needs a *new* article uses its own copy: `seed_copy("iranwire", tag)`.
    """

    def copy(name: str, tag: str) -> str:
        return f"{seed_texts[name]}\n\nThis copy was filed for the {tag} desk.\n"

    return copy
