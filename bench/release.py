"""A released version of crosscheck, extracted from git into a cache, for benchmarks that set
it side by side with this tree (run with this virtual environment)."""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def release_tree(ref: str, cache: Path) -> tuple[str, Path]:
    """The short commit of `ref` and the folder under `cache` holding its files."""
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    tree = cache / f"tree-{sha}"
    if not tree.exists():
        tree.mkdir(parents=True)
        with tempfile.TemporaryFile() as archive:
            subprocess.run(["git", "-C", str(ROOT), "archive", sha], stdout=archive, check=True)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                tar.extractall(tree, filter="data")
    return sha, tree
