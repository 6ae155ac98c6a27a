"""The vocabulary of document types shared by the gatherer (``crawler.documents`` sniffs a file's
``kind``) and the audits (``checks.documents`` compares it with the link and the Content-Type)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Russian names of the kinds, as messages quote what was found.
KIND_TITLES = {
    "pdf": "PDF", "docx": "документ Word (DOCX)", "doc": "документ Word 97–2003 (DOC)", "odt": "документ OpenDocument (ODT)",
    "rtf": "документ RTF", "xlsx": "таблица Excel (XLSX)", "xls": "таблица Excel 97–2003 (XLS)", "ods": "таблица OpenDocument (ODS)",
    "pptx": "презентация (PPTX)", "ppt": "презентация (PPT)", "text": "текстовый файл", "html": "веб-страница", "image": "изображение",
    "zip": "ZIP-архив", "rar": "архив RAR", "7z": "архив 7z", "signature": "файл электронной подписи", "empty": "пустой ответ",
    "unknown": "файл неизвестного формата",
}

# Kinds that belong together: a «.doc» link serving DOCX contradicts nothing a reader notices.
FAMILIES = {
    "pdf": "pdf", "docx": "word", "doc": "word", "odt": "word", "rtf": "word", "xlsx": "sheet", "xls": "sheet", "ods": "sheet",
    "pptx": "slides", "ppt": "slides", "text": "text", "html": "html", "image": "image", "zip": "archive", "rar": "archive",
    "7z": "archive", "signature": "signature", "empty": "empty", "unknown": "unknown",
}

# What a link's extension promises.
EXTENSION_KINDS = {
    "pdf": "pdf", "docx": "docx", "doc": "doc", "odt": "odt", "rtf": "rtf", "xlsx": "xlsx", "xls": "xls", "ods": "ods",
    "pptx": "pptx", "ppt": "ppt", "zip": "zip", "rar": "rar", "7z": "7z", "jpg": "image", "jpeg": "image", "png": "image",
    "gif": "image", "webp": "image", "tif": "image", "tiff": "image", "txt": "text", "csv": "text", "sig": "signature", "p7s": "signature",
}

# What a Content-Type header promises; generic types (octet-stream, force-download) promise nothing.
CONTENT_TYPE_KINDS = {
    "application/pdf": "pdf", "application/x-pdf": "pdf", "text/html": "html", "application/xhtml+xml": "html",
    "application/msword": "doc", "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt", "application/rtf": "rtf", "text/rtf": "rtf",
    "application/vnd.ms-excel": "xls", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.spreadsheet": "ods", "application/zip": "zip", "application/x-rar-compressed": "rar",
    "application/vnd.rar": "rar", "application/x-7z-compressed": "7z", "application/pkcs7-signature": "signature",
    "application/x-pkcs7-signature": "signature", "text/plain": "text", "text/csv": "text",
}

_EXT = re.compile(r"\.([a-z0-9]{1,5})$", re.IGNORECASE)


def extension(url: str) -> str:
    """The extension of a URL's path, lower case («pdf»), or ""."""
    try:
        m = _EXT.search(urlsplit(url).path)
    except ValueError:
        return ""
    return m.group(1).lower() if m else ""


def content_type_kind(header: str) -> str:
    """The kind a Content-Type header names: ``image`` for any image/*, "" for generic or unknown types."""
    main = (header or "").split(";")[0].strip().lower()
    if main.startswith("image/"):
        return "image"
    return CONTENT_TYPE_KINDS.get(main, "")
