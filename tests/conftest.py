"""Shared fixtures: one real run of the whole demo pipeline per test session."""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingestion.home import Home


@dataclass
class DemoRun:
    home: Home
    delivered: Path     # the delivered files as laid out in the inbox (<source>/<file>)


def generate_delivery(root: Path, scale: str = "small") -> Path:
    """Generate the synthetic county into `root/inbox` (+ `root/config`); returns the inbox."""
    from ingestion.synth import generate_county

    generate_county(root / "inbox", scale=scale)
    return root / "inbox"


def fresh_home(root: Path, delivered: Path) -> Home:
    """A new home whose inbox holds a copy of the delivered files."""
    from dagster_project.environment import activate

    home = activate(root)
    shutil.copytree(delivered, home.inbox, dirs_exist_ok=True)
    config = delivered.parent / "config"
    if config.is_dir():
        shutil.copytree(config, home.config, dirs_exist_ok=True)
    return home


@pytest.fixture(scope="session")
def delivered_small(tmp_path_factory) -> Path:
    return generate_delivery(tmp_path_factory.mktemp("delivered"))


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, delivered_small) -> DemoRun:
    """The `small` county through the whole nightly job, in-process through Dagster."""
    from dagster_project.cli import run_pipeline

    home = fresh_home(tmp_path_factory.mktemp("demo") / "home", delivered_small)
    assert run_pipeline(home), "the nightly job failed on the demo county"
    return DemoRun(home=home, delivered=delivered_small)
