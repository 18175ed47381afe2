"""Each kind of unusable certificate is refused before anything is written (exit 2, one line)."""

import os

from support import add_args, make_unreadable, snapshot


def refused_with(cpe, home, path: str, message: str):
    assert cpe(*add_args(title="Seed")).exit_code == 0  # an existing ledger, to prove it stays unchanged
    before = snapshot(home)
    result = cpe(*add_args(certificate=path))
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(home) == before


def test_directory(cpe, home, tmp_path):
    refused_with(cpe, home, str(tmp_path), "is a directory")


def test_fifo(cpe, home, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    refused_with(cpe, home, str(fifo), "is a FIFO")


def test_device(cpe, home):
    refused_with(cpe, home, "/dev/zero", "is a device")


def test_missing_file(cpe, home, tmp_path):
    refused_with(cpe, home, str(tmp_path / "nope.pdf"), "does not exist")


def test_symlink_loop(cpe, home, tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    refused_with(cpe, home, str(loop), "symlink loop")


def test_unreadable_file(cpe, home, tmp_path, monkeypatch):
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"x")
    make_unreadable(secret, monkeypatch)  # root reads anything: simulate the refusal the kernel would give
    refused_with(cpe, home, str(secret), "not readable")


def test_larger_than_ten_mebibytes(cpe, home, tmp_path):
    big = tmp_path / "big.pdf"
    with open(big, "wb") as handle:
        handle.truncate(10 * 1024 * 1024 + 1)
    refused_with(cpe, home, str(big), "the limit is 10 MiB")


def test_exactly_ten_mebibytes_is_accepted(cpe, home, tmp_path):
    edge = tmp_path / "edge.pdf"
    with open(edge, "wb") as handle:
        handle.truncate(10 * 1024 * 1024)
    result = cpe(*add_args(certificate=str(edge)))
    assert result.exit_code == 0, result.stderr
