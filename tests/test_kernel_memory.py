"""What the kernel does to keep its memory down: built-in digests, freed heap given back."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from types import SimpleNamespace

import pytest

from freshrepl.digests import BYTES, TEXT, bytes_digest, file_digest, text_digest
from freshrepl.kernel.main import TRIM_AFTER_MODULES, KernelServer, give_back_memory


@pytest.mark.parametrize("data", [b"", b"x = 1\n", bytes(range(256)) * 100])
def test_the_built_in_digest_is_sha256(data):
    assert bytes_digest(data) == hashlib.sha256(data).hexdigest()


def test_digests_do_not_load_openssl():
    # hashlib would load OpenSSL: 3.5 MiB resident in a kernel that only needed a digest.
    probe = ("import sys; from freshrepl.digests import bytes_digest; bytes_digest(b'x'); "
             "print('_hashlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_file_digest_by_bytes_or_by_text(tmp_path):
    path = tmp_path / "m.py"
    path.write_bytes(b"\xef\xbb\xbfx = 1\r\n")  # a BOM and CRLF: the text differs from the bytes
    assert file_digest(str(path), BYTES) == bytes_digest(path.read_bytes())
    assert file_digest(str(path), TEXT) == text_digest("x = 1\n")
    assert file_digest(str(tmp_path / "gone.py"), BYTES) is None


@pytest.mark.parametrize(("modules", "expected"), [
    (TRIM_AFTER_MODULES, [give_back_memory]),
    (TRIM_AFTER_MODULES - 1, []),
    (0, []),
])
def test_work_on_many_modules_gives_memory_back_once_idle(modules, expected):
    server = SimpleNamespace(idle=[])
    KernelServer._give_back_memory_after(server, modules)
    KernelServer._give_back_memory_after(server, modules)  # queued once
    assert server.idle == expected


def test_giving_back_memory_never_fails():
    give_back_memory()  # glibc's malloc_trim here; elsewhere nothing happens
