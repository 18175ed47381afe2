"""A backup whose manifest.json nests 200,000 levels deep is refused in one line, not with a RecursionError."""

from __future__ import annotations

import io
import tarfile

from support import add, only_error, snapshot


def test_a_deeply_nested_manifest_is_refused_cleanly(cpe, home, tmp_path):
    add(cpe)
    before = snapshot(home)
    archive = tmp_path / "deep.tar.gz"
    manifest = b"[" * 200_000 + b"]" * 200_000
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    result = cpe("restore", str(archive), "--force")
    assert result.exit_code in (1, 2), result.stderr
    line = only_error(result)
    assert "RecursionError" not in line and "manifest.json" in line, line
    assert snapshot(home) == before


def test_a_deeply_nested_manifest_is_refused_into_a_new_home(cpe, home, tmp_path, monkeypatch):
    archive = tmp_path / "deep.tar.gz"
    manifest = b'{"a":' * 200_000 + b"1" + b"}" * 200_000
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
    result = cpe("restore", str(archive))
    assert result.exit_code in (1, 2) and "manifest.json" in only_error(result)
    assert not home.exists()
