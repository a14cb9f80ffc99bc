"""`brobygger run`'s e-mail sink keeps every copy, so a duplicate e-mail is visible as two files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from brobygger.smtp_sink import FolderHandler

MAIL = b"Message-ID: <3ab40311-5162-5081-b3bd-81b5e8abfe41@brobygger.local>\r\nSubject: hej\r\n\r\nbody\r\n"


def test_two_copies_with_the_same_message_id_in_the_same_second_are_two_files(tmp_path: Path) -> None:
    handler = FolderHandler(tmp_path)
    envelope = SimpleNamespace(original_content=MAIL, content=MAIL)
    for _ in range(2):
        assert asyncio.run(handler.handle_DATA(None, None, envelope)).startswith("250")
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    assert all("3ab40311-5162-5081-b3bd-81b5e8abfe41" in f.name for f in files)
    assert [f.read_bytes() for f in files] == [MAIL, MAIL]


def test_a_sink_restarted_on_the_same_folder_never_replaces_a_file(tmp_path: Path) -> None:
    envelope = SimpleNamespace(original_content=MAIL, content=MAIL)
    for _ in range(2):
        asyncio.run(FolderHandler(tmp_path).handle_DATA(None, None, envelope))  # each starts counting at 1
    assert len(list(tmp_path.glob("*.eml"))) == 2
