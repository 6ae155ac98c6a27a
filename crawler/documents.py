"""What a downloaded document is: facts read from a file on disk, never verdicts.

The crawler streams each document a site links to into a temporary file (``crawler.docfetch``)
and calls :func:`analyse` on it: the type by content (magic bytes, the parts of a ZIP package),
whether it opens, encryption, the PDF text layer, signatures (PDF signature dictionaries read
with pyHanko, OOXML/ODF package signatures), the visible «подписан электронной подписью» stamp
text, and for an HTML answer what page it is (title, heading, a password field). The file is
deleted by the caller; only these facts and a hash reach the artifact.

:func:`document_text` is the one place the text of a document is read (PDF pages, DOCX/ODT
paragraphs, RTF, plain text): the facts use it, and so can any other scan of documents.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import re
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

HEAD_BYTES = 8192
HTML_READ = 262_144  # an HTML answer is read this far for its title and heading
TEXT_PAGE_CHARS = 20  # a PDF page with fewer letters or digits has no text layer worth the name
# «Документ подписан электронной подписью», «Подписано простой электронной подписью», «ПОДПИСАН ЭП»…
STAMP = re.compile(r"подписан\w*\s+(?:\w+\s+){0,2}(?:электронн\w*\s+(?:цифров\w*\s+)?подпись\w*|эп\b|эцп\b)", re.IGNORECASE)
_MEANINGFUL = re.compile(r"[^\W_]")

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|title|meta|script|div|p|h1)\b", re.IGNORECASE | re.DOTALL)


def load_readers() -> None:
    """Import the parsers a reader process needs (they are imported on first use): run when a
    reader starts, so that the first documents of a crawl do not wait for them."""
    import pypdf  # noqa: F401
    import pypdfium2  # noqa: F401
    from lxml import etree, html  # noqa: F401


def sniff_head(head: bytes) -> str:
    """The type of a file by its first bytes, without the ZIP package parts (see :func:`sniff`)."""
    if not head:
        return "empty"
    body = head.removeprefix(b"\xef\xbb\xbf")
    if body.lstrip()[:5] == b"%PDF-" or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # Word 97–2003, Excel 97–2003 or PowerPoint: told apart by the extension
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head.startswith(b"Rar!"):
        return "rar"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if body[:1] == b"\x30" and len(body) > 2 and body[1] in (0x80, 0x81, 0x82, 0x83, 0x84):
        return "signature"  # DER: a CMS/PKCS#7 container
    if body.lstrip().startswith((b"-----BEGIN PKCS7", b"-----BEGIN CMS")):
        return "signature"
    if _HTML_START.match(body[:4096]) or re.search(rb"<html[\s>]", body[:4096], re.IGNORECASE):
        return "html"
    if b"\x00" not in body[:4096]:
        try:
            body[:4096].decode("utf-8")
            return "text"
        except UnicodeDecodeError:
            if body[:4096].decode("cp1251", "ignore").strip():
                return "text"
    return "unknown"


def _zip_kind(path: Path) -> str:
    """DOCX, XLSX, PPTX, ODT, ODS or a plain archive, by the parts of the package."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names:
                mime = z.read("mimetype")[:100].decode("ascii", "ignore").strip()
                return {"application/vnd.oasis.opendocument.text": "odt", "application/vnd.oasis.opendocument.spreadsheet": "ods"}.get(mime, "zip")
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "ppt/presentation.xml" in names:
                return "pptx"
    except (zipfile.BadZipFile, OSError, KeyError):
        pass
    return "zip"


def sniff(path: Path, head: bytes | None = None) -> str:
    """pdf, docx, odt, doc/xls (``ole``), xlsx, ods, pptx, rtf, html, image, zip, rar, 7z, signature, text, empty or unknown."""
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    kind = sniff_head(head)
    return _zip_kind(path) if kind == "zip" else kind


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


# ---- text --------------------------------------------------------------------------------------


def _xml_paragraphs(z: zipfile.ZipFile, part: str, paragraph: str, text_tag: str | None) -> Iterator[str]:
    """Paragraphs of an XML part, parsed incrementally: the text of each ``paragraph`` element
    (of its ``text_tag`` descendants only, when given: DOCX keeps field codes beside ``w:t``)."""
    from lxml import etree

    with z.open(part) as fh:
        for _, el in etree.iterparse(fh, events=("end",), resolve_entities=False, no_network=True):
            if not isinstance(el.tag, str) or el.tag.rsplit("}", 1)[-1] != paragraph:
                continue
            if text_tag is None:
                text = "".join(el.itertext())
            else:
                text = "".join(t.text or "" for t in el.iter() if isinstance(t.tag, str) and t.tag.rsplit("}", 1)[-1] == text_tag)
            el.clear()
            if text:
                yield text


# PDFium is not thread-safe, not even across documents: one call at a time in the process.
_PDFIUM = threading.Lock()


def _pdfium_read(path: Path, limit: int, plain_only: bool = False) -> tuple[int, list[str]]:
    """(pages, the text of the first ``limit`` pages) in one opening of the file (PDFium: several times
    faster than pure-Python parsers, which matters with thousands of documents a run); a page whose text
    cannot be read has none. ``plain_only``: raise :class:`_Encrypted` for a file with a security handler
    (its permissions are pypdf's to read)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with _PDFIUM:
        pdf = pdfium.PdfDocument(str(path))
        try:
            if plain_only and pdfium_c.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
                raise _Encrypted(path)
            texts = []
            for i in range(min(len(pdf), limit)):
                try:
                    page = pdf[i]
                    textpage = page.get_textpage()
                    texts.append(textpage.get_text_range())
                    textpage.close()
                    page.close()
                except pdfium.PdfiumError:
                    log.debug("%s page %d: text not read", path, i)
                    texts.append("")
            return len(pdf), texts
        finally:
            pdf.close()


class _Encrypted(Exception):
    """The PDF has a security handler: read it the long way (pypdf: password, permissions)."""


def document_text(path: Path, kind: str | None = None, *, pdf_pages: int = 50) -> Iterator[str]:
    """The text of a document as a stream of pieces: PDF pages (the first ``pdf_pages``),
    DOCX/ODT paragraphs, XLSX shared strings, RTF or plain text. Nothing for types without text
    (images, scans, archives) or files that do not open; never raises for a bad file."""
    kind = kind or sniff(path)
    try:
        if kind == "pdf":
            yield from _pdfium_read(path, pdf_pages)[1]  # read under the lock, yielded outside it
        elif kind in ("docx", "xlsx", "odt", "ods"):
            with zipfile.ZipFile(path) as z:
                if kind == "docx":
                    yield from _xml_paragraphs(z, "word/document.xml", "p", "t")
                elif kind == "xlsx":
                    if "xl/sharedStrings.xml" in z.namelist():
                        yield from _xml_paragraphs(z, "xl/sharedStrings.xml", "si", "t")
                else:
                    yield from _xml_paragraphs(z, "content.xml", "p", None)
        elif kind == "rtf":
            raw = path.read_bytes()[:2_000_000].decode("latin-1")
            yield _rtf_text(raw)
        elif kind == "text":
            raw = path.read_bytes()[:2_000_000]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield raw.decode("cp1251", "replace")
    except Exception:
        log.debug("%s: text not read", path, exc_info=True)


def _rtf_text(raw: str) -> str:
    """Plain text of RTF, enough to search it: \\'xx escapes in windows-1251, \\uN escapes, groups dropped."""
    raw = re.sub(r"\\u(-?\d+)\??", lambda m: chr(int(m.group(1)) % 65536), raw)
    raw = re.sub(r"\\'([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]).decode("cp1251", "replace"), raw)
    raw = re.sub(r"\\[a-z]+-?\d* ?|[{}]", " ", raw)
    return re.sub(r"\s+", " ", raw)


# ---- facts -------------------------------------------------------------------------------------


def _count_text(pieces: Iterable[str], on_text: Callable[[str], None] | None) -> tuple[int, int, int, bool]:
    """(pieces, pieces with text, meaningful characters, stamp found)."""
    n = with_text = chars = 0
    stamp = False
    for piece in pieces:
        n += 1
        letters = len(_MEANINGFUL.findall(piece))
        chars += letters
        with_text += letters >= TEXT_PAGE_CHARS
        stamp = stamp or bool(STAMP.search(piece))
        if on_text is not None:
            on_text(piece)
    return n, with_text, chars, stamp


def _pdf_signatures(path: Path) -> list[dict[str, Any]]:
    """Each signature dictionary of the PDF: field, signer, self-reported time, intact or not.

    Intact means the signed byte ranges hash to the digest the signature holds and the signature
    over it verifies with the signer's key; no trust or revocation check (nothing leaves the machine).
    A GOST signature, whose algorithms the library lacks, is reported with ``intact`` None.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.generic_cms import validate_sig_integrity

    from crawler import pdfhex

    pdfhex.install()

    out: list[dict[str, Any]] = []
    with open(path, "rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        for sig in reader.embedded_signatures[:10]:
            facts: dict[str, Any] = {"form": "pdf", "field": str(sig.field_name or "")[:100]}
            try:
                cert = sig.signer_cert
                facts["signer"] = cert.subject.human_friendly[:300]
            except Exception:
                cert = None
                facts["signer"] = ""
            try:
                ts = sig.self_reported_timestamp
                facts["signed_at"] = ts.isoformat() if ts else ""
            except Exception:
                facts["signed_at"] = ""
            try:
                intact, valid = validate_sig_integrity(sig.signer_info, cert, "data", sig.compute_digest())
                facts["intact"] = bool(intact and valid)
                facts["covers_whole_file"] = sig.evaluate_signature_coverage().name == "ENTIRE_FILE"
            except Exception as exc:  # unknown algorithm (GOST), malformed container
                log.debug("%s: signature integrity not computed: %s", path, exc)
                facts["intact"] = None
                facts["why_unknown"] = type(exc).__name__
            out.append(facts)
    return out


def _package_signatures(path: Path, kind: str) -> list[dict[str, Any]]:
    """Signatures inside an OOXML (``_xmlsignatures/``) or ODF (``META-INF/documentsignatures.xml``) package."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    if kind in ("docx", "xlsx", "pptx") and any(n.startswith("_xmlsignatures/sig") for n in names):
        return [{"form": "ooxml", "intact": None}]
    if kind in ("odt", "ods") and "META-INF/documentsignatures.xml" in names:
        return [{"form": "odf", "intact": None}]
    return []


def _pdf_facts(path: Path, facts: dict[str, Any], text_pages: int, on_text: Callable[[str], None] | None) -> None:
    import pypdfium2 as pdfium

    # Most PDFs are plain: PDFium alone counts and reads their pages in one opening (pypdf, pure Python,
    # would hold the interpreter's lock the crawl needs). Encrypted or odd files ask pypdf first.
    try:
        facts["pages"], texts = _pdfium_read(path, text_pages, plain_only=True)
    except (_Encrypted, pdfium.PdfiumError):
        if not _pdf_security(path, facts):
            return
        facts["pages"], texts = _pdfium_read(path, text_pages)
    checked, with_text, chars, stamp = _count_text(texts, on_text)
    facts.update(pages_checked=checked, text_pages=with_text, text_chars=chars, stamp=stamp, opens=True)
    facts["signatures"] = [] if facts.get("encrypted") else _embedded_signatures(path)


def _pdf_security(path: Path, facts: dict[str, Any]) -> bool:
    """Encryption, password and copy permission of the PDF (pypdf) into ``facts``; False when a
    password is needed to open it (nothing more can be read)."""
    from pypdf import PdfReader

    reader = PdfReader(path, strict=False)
    if not reader.is_encrypted:
        return True
    facts["encrypted"] = True
    if not reader.decrypt(""):
        facts["password"] = True
        facts["opens"] = True
        return False
    facts["password"] = False
    try:
        perms = reader.user_access_permissions
        facts["copy_allowed"] = bool(perms is None or (int(perms) & 16))  # bit 5: copy or extract text
    except Exception:
        pass
    return True


def _embedded_signatures(path: Path) -> list[dict[str, Any]]:
    if not _has_signature_dictionary(path):
        return []
    try:
        return _pdf_signatures(path)
    except Exception as exc:
        log.debug("%s: signatures not read: %s", path, exc)
        return []


def _has_signature_dictionary(path: Path) -> bool:
    """Every signature dictionary has a /ByteRange, written in the clear: most PDFs, unsigned, skip pyHanko."""
    with open(path, "rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
                return m.find(b"/ByteRange") >= 0
        except ValueError:  # an empty file cannot be mapped
            return False


def _html_facts(path: Path) -> dict[str, Any]:
    from lxml import html as lhtml

    raw = path.read_bytes()[:HTML_READ]
    try:
        root = lhtml.document_fromstring(raw)
    except Exception:
        return {"title": "", "heading": "", "text": "", "password": False}
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()

    def first(xp: str) -> str:
        found = root.xpath(xp)
        return " ".join(found[0].text_content().split())[:200] if found else ""

    body = root.find("body")
    text = " ".join((body.text_content() if body is not None else root.text_content()).split())
    return {
        "title": first("//title"),
        "heading": first("//h1") or first("//h2"),
        "text": text[:300],
        "password": bool(root.xpath("//input[translate(@type,'PASSWORD','password')='password']")),
    }


def analyse(path: Path, *, extension: str = "", text_pages: int = 50, on_text: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The facts of the file at ``path`` (see ``artifacts.schema.DocumentFacts``); never raises.

    ``extension`` (of the link) names an OLE file (``doc``/``xls``/``ppt``); ``on_text``, when
    given, receives each piece of text read, so another scan of documents needs no second read.
    """
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    kind = sniff(path, head)
    if kind == "ole":
        kind = {"doc": "doc", "xls": "xls", "ppt": "ppt"}.get(extension, "doc")
    facts: dict[str, Any] = {"kind": kind, "opens": None}
    try:
        if kind == "pdf":
            _pdf_facts(path, facts, text_pages, on_text)
        elif kind in ("docx", "xlsx", "odt", "ods", "rtf", "text"):
            pieces, with_text, chars, stamp = _count_text(document_text(path, kind), on_text)
            facts.update(opens=pieces > 0 or kind in ("xlsx", "ods"), text_chars=chars, stamp=stamp)
            if kind in ("docx", "xlsx", "odt", "ods"):
                with zipfile.ZipFile(path) as z:
                    facts["opens"] = z.testzip() is None
                facts["signatures"] = _package_signatures(path, kind)
        elif kind == "html":
            facts["html"] = _html_facts(path)
            facts["opens"] = True
        elif kind in ("image", "doc", "xls", "ppt", "zip", "rar", "7z", "signature"):
            facts["opens"] = True  # recognized by its header; its content is not read
        elif kind == "empty":
            facts["opens"] = False
    except Exception as exc:  # a file that does not parse is a fact, not a crash
        log.debug("%s: %s does not open: %s", path, kind, exc)
        facts["opens"] = False
        facts["open_error"] = type(exc).__name__
    return facts
