"""The warehouse's offline extension set-up survives a home that was moved or restored."""

from ingestion.home import Home
from ingestion.warehouse import dbt_environment


def test_extension_installed_from_another_homes_repository_is_dropped(tmp_path):
    home = Home(tmp_path / "home").create()
    installed = home.ext_dir / "v1.5.5" / "linux_amd64"
    installed.mkdir(parents=True)
    (installed / "spatial.duckdb_extension").write_bytes(b"old")
    (installed / "spatial.duckdb_extension.info").write_bytes(b"/somewhere/else/duckdb_ext_repo")
    env = dbt_environment(home)
    assert not (installed / "spatial.duckdb_extension").exists()
    assert env["SPM_DUCKDB_EXT_DIR"] == str(home.ext_dir) and home.ext_dir.is_dir()
    repo_file = home.ext_repo / "v1.5.5" / "linux_amd64" / "spatial.duckdb_extension"
    assert repo_file.stat().st_size > 1_000_000


def test_extension_installed_from_this_homes_repository_is_kept(tmp_path):
    home = Home(tmp_path / "home").create()
    installed = home.ext_dir / "v1.5.5" / "linux_amd64"
    installed.mkdir(parents=True)
    (installed / "spatial.duckdb_extension.info").write_bytes(str(home.ext_repo).encode())
    dbt_environment(home)
    assert (installed / "spatial.duckdb_extension.info").exists()


def test_committed_deliveries_survive_a_killed_process_before_any_checkpoint(
        tmp_path, delivered_small):
    """Loading commits each file to the write-ahead log and leaves the checkpoint for the
    end (ingestion/warehouse.py): a process killed in between loses nothing committed."""
    import json
    import shutil
    import subprocess
    import sys

    import duckdb

    from dagster_project.environment import activate

    home = activate(tmp_path / "home")
    files = sorted((delivered_small / "einwohner").iterdir())[:3]
    (home.inbox / "einwohner").mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy(path, home.inbox / "einwohner" / path.name)
    script = (
        "import json, os, sys\n"
        "from dagster_project.environment import activate\n"
        "from ingestion import loader, warehouse\n"
        "home = activate(sys.argv[1])\n"
        "con = warehouse.connect(home)\n"
        "results = loader.ingest_inbox(con, home, 'einwohner')\n"
        "print(json.dumps([[r.status, r.rows_loaded] for r in results]), flush=True)\n"
        "os._exit(0)  # killed: no close, no checkpoint\n")
    done = subprocess.run([sys.executable, "-c", script, str(home.root)], capture_output=True,
                          text=True, check=True)
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert [status for status, _ in results] == ["loaded"] * len(files)
    wal = home.warehouse.with_name(home.warehouse.name + ".wal")
    assert wal.exists() and wal.stat().st_size > 0, "the changes should still be in the log"
    con = duckdb.connect(str(home.warehouse))
    try:
        assert con.execute("select count(*) from raw.einwohner").fetchone()[0] == sum(
            rows for _, rows in results)
        assert con.execute("select count(*) from raw.delivery_log where status = 'loaded'"
                           ).fetchone()[0] == len(files)
    finally:
        con.close()
