"""A full disk during publishing leaves the previous version intact: the published zone of
a copy of the demo home lies on a small filesystem of its own (tmpfs, mounted for the test)
with room for less than one more version. The run fails with a German message that says
the disk is full; the published file, the link `aktuell` and the versions are unchanged, the
half-written version is gone (the space is free again), and once there is room the next run
publishes."""

import hashlib
import os
import shutil
import subprocess

import pytest

from dagster_project.publishing.versions import CURRENT, aktuelle_version, versionen
from ingestion.home import Home
from tests.betrieb.prozesse import SpmProzess


def _groesse(path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _frei(path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def home(demo_run, tmp_path):
    if os.geteuid() != 0:
        message = "mount braucht root (in CI läuft dieser Test als root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path / "home"
    shutil.copytree(demo_run.home.root, root, symlinks=True)
    home = Home(root)
    aside = root / "published.alt"
    home.published.rename(aside)
    home.published.mkdir()
    used = _groesse(aside)
    version = _groesse(aside / os.readlink(aside / CURRENT))
    size = used + version // 2
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs",
                    str(home.published)], check=True)
    try:
        shutil.copytree(aside, home.published, symlinks=True, dirs_exist_ok=True)
        shutil.rmtree(aside)
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home.published)], check=False)


def test_a_full_disk_during_publishing_leaves_the_previous_version(home):
    sha, link = _sha(home.published_db), (home.published / CURRENT).readlink()
    before = [p.name for p in versionen(home)]
    free = _frei(home.published)

    lauf = SpmProzess(home.root, "run", "--erzwingen")
    assert lauf.ende() == 1, lauf.ausgabe()[-3000:]
    out = " ".join(lauf.ausgabe().split())       # the message is wrapped
    assert "Veröffentlichung abgebrochen" in out, out[-3000:]
    assert f"Der Datenträger von {home.published} ist voll (kein Speicherplatz mehr)" in out
    assert "bleibt unverändert" in out
    # what to do names the full drive
    assert f"Der Speicherplatz des Laufwerks mit {home.published} ist voll" in out, out[-3000:]

    assert _sha(home.published_db) == sha
    assert (home.published / CURRENT).readlink() == link
    assert [p.name for p in versionen(home)] == before
    assert not [p.name for folder in (home.published, home.published_versions)
                for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert _frei(home.published) >= free - 64 * 1024     # the partial version is gone

    # room again: the next run (the last one failed, so it runs) publishes
    subprocess.run(["mount", "-o", "remount,size=256m", str(home.published)], check=True)
    lauf = SpmProzess(home.root, "run")
    assert lauf.ende() == 0, lauf.ausgabe()[-3000:]
    after = [p.name for p in versionen(home)]
    assert after[-1] not in before and aktuelle_version(home).name == after[-1]
