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
