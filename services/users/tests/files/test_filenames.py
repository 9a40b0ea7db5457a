"""Display names of uploads: safe to show and to offer as a download name, never empty."""

import unicodedata

import pytest

from users_service.files.filenames import ascii_fallback, safe_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("Résumé.pdf", "Résumé.pdf"),
        ("日本語のファイル.txt", "日本語のファイル.txt"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("/", "file"),
        ("..", "file"),
        (".htaccess", "htaccess"),
        ("name. ", "name"),
        ("", "file"),
        (None, "file"),
        ("\x00\x01\x1f\x7f", "file"),
        ("tab\there.txt", "tabhere.txt"),
        ("line\u2028break.txt", "linebreak.txt"),
        ("exe\u202etxt.scr", "exetxt.scr"),
        ("a\u200d\ufeffb.txt", "ab.txt"),
        ("  many    spaces  .txt", "many spaces .txt"),
        ("\u00a0nbsp\u3000ideographic.txt", "nbsp ideographic.txt"),
        ('what?<>:"|*.txt', "what_______.txt"),
        ("e\u0301.txt", "\u00e9.txt"),
    ],
)
def test_safe_name(raw: str | None, expected: str) -> None:
    assert safe_name(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["a" * 400, "a" * 300 + ".txt", "日" * 200 + ".pdf", "é" * 300, "x" * 250 + "." + "y" * 60],
)
def test_long_names_fit_255_utf8_bytes(raw: str) -> None:
    """Cut in the stem, on a character boundary; a short extension survives."""
    name = safe_name(raw)
    assert len(name.encode()) <= 255
    assert name == unicodedata.normalize("NFC", name)
    assert raw.startswith(name[:10])
    if raw.endswith((".txt", ".pdf")):
        assert name.endswith(raw[-4:])


@pytest.mark.parametrize(
    "raw", ["../x", "é" * 300 + ".tar.gz", " .a. ", "a\u202eb", "日本.txt", "what?.txt"]
)
def test_safe_names_are_already_safe(raw: str) -> None:
    """Cleaning a clean name changes nothing (stored names round-trip)."""
    once = safe_name(raw)
    assert safe_name(once) == once


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Résumé.pdf", "Resume.pdf"),
        ("日本語.txt", "file.txt"),
        ("日本語", "file"),
        ("Ünïcödé ファイル.tar", "Unicode.tar"),
        ("\uff41\uff42\uff43\uff0f\uff44.txt", "d.txt"),  # fullwidth "abc/d"
        ("report.日本", "report"),
    ],
)
def test_ascii_fallback(name: str, expected: str) -> None:
    """What `filename=` carries for clients that ignore `filename*`: ASCII and still safe."""
    fallback = ascii_fallback(name)
    assert fallback == expected
    assert fallback.isascii()
