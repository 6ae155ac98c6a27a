"""Reading and validating the registry of organizations (CSV or XLSX, as offices keep them).

CSV: UTF-8 (with or without BOM), UTF-16 («Текст Юникод» of Excel) or Windows-1251; the
delimiter (``;``, ``,`` or tab) is sniffed. XLSX: the first sheet with a recognizable header row
(which need not be the first row: title rows above it are skipped). Header names in Russian or
English. Nothing here touches the database: :func:`read_registry` gives valid records and a list
of errors with the row numbers the user sees in the spreadsheet.

What a file shows but the program cannot read is said, never read as an empty cell: an XLSX cell
hidden by a merged cell or a formula saved without its value is an error in a required column and
a warning elsewhere; non-empty cells beyond the header (ragged rows) are not loaded and are warned
about (the row's own columns still load); a CSV that cannot be parsed names its row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import idna

from artifacts.urls import normalize_site_url as site_key
from artifacts.urls import url_problem
from checks.model import OrgType
from checks.orgtype import parse_org_type
from crawler.addresses import env_allows, private_host
from storage.records import OrgRecord  # the record type storage takes
from sveden.emails import is_email_header, parse_addresses

# Fields of a registry row, and their titles in messages.
FIELD_TITLES: dict[str, str] = {
    "id": "Код",
    "inn": "ИНН",
    "name": "Наименование",
    "short_name": "Краткое наименование",
    "type": "Тип",
    "municipality": "Муниципалитет",
    "url": "Сайт",
    "busgov": "bus.gov.ru",
}
REQUIRED_COLUMNS = ("name", "type", "municipality", "url")  # plus "id" or "inn"

_EXACT: dict[str, set[str]] = {
    "id": {"id", "ид", "код", "код оо", "код организации", "идентификатор", "org_id", "org id", "registry_id", "код в реестре", "уникальный код"},
    "inn": {"inn", "инн", "инн организации", "инн оо"},
    "name": {
        "name", "full_name", "full name", "fullname", "наименование", "полное наименование", "наименование организации",
        "полное наименование организации", "наименование оо", "полное наименование оо", "название", "организация",
        "образовательная организация", "наименование образовательной организации",
        "полное наименование образовательной организации",
    },
    "short_name": {
        "short_name", "short name", "shortname", "краткое наименование", "сокращенное наименование", "краткое название",
        "краткое наименование организации", "сокращенное наименование организации",
    },
    "type": {"type", "org_type", "org type", "тип", "тип организации", "тип оо", "вид", "вид организации", "вид оо", "тип образовательной организации"},
    "municipality": {
        "municipality", "department", "муниципалитет", "муниципальное образование", "моуо", "муниципальный район", "район",
        "мо", "округ", "городской округ", "орган управления образованием", "управление образования",
    },
    "url": {
        "url", "site", "site_url", "site url", "website", "web", "www", "сайт", "адрес сайта", "официальный сайт",
        "адрес официального сайта", "сайт организации", "адрес сайта организации", "ссылка на сайт",
    },
    "busgov": {
        "busgov", "bus.gov.ru", "bus.gov", "busgov_id", "agency_id", "agency id", "agencyid", "busgov_agency_id", "id bus.gov.ru",
        "ид bus.gov.ru", "код bus.gov.ru", "bus.gov.ru id", "идентификатор bus.gov.ru", "гму", "id на bus.gov.ru",
    },
}
# Tried in this order when no exact name matched («Наименование муниципального образования» is
# the municipality, not the name). The id is matched only exactly: «Код ОКТМО» is not an id.
_CONTAINS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("busgov", re.compile(r"bus\.?gov|busgov|agency")),
    ("inn", re.compile(r"\bинн\b|\binn\b")),
    ("url", re.compile(r"сайт|\burl\b|\bsite\b|website")),
    ("municipality", re.compile(r"муниципал|\bмоуо\b|район|округ|municipal")),
    ("short_name", re.compile(r"кратк|сокращ")),
    ("type", re.compile(r"^тип\b|^вид\b")),
    ("name", re.compile(r"наименование|название")),
)
_IGNORED_HEADER = re.compile(r"^(№|n|no|#|п/п|№ п/п|номер п/п|порядковый номер)$")

_NO_VALUE = {"-", "—", "–", "нет", "отсутствует", "не имеет", "нет сайта", "n/a", "na", "none", "null"}
_HOST_LABEL = re.compile(r"^(?!-)[0-9a-zа-яё-]{1,63}(?<!-)$")
_TLD = re.compile(r"^([a-zа-яё]{2,63}|xn--[a-z0-9-]{1,59})$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_BUSGOV_URL = re.compile(r"(?:info-card|agency|qrcode/rate)/(\d+)|[?&]agency=(\d+)")
_HEADER_SCAN_ROWS = 20


class RegistryFileError(Exception):
    """The file cannot be read as a registry at all (the message is for the user, in Russian)."""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet shows it (1-based, the header row counted)
    column: str  # the header as written in the file, or the expected column's title
    value: str
    reason: str

    def __str__(self) -> str:
        value = f" «{self.value}»" if self.value else ""
        return f"строка {self.row}, столбец «{self.column}»{value}: {self.reason}"


@dataclass(slots=True)
class RegistryFile:
    path: Path
    format: str  # "csv" or "xlsx"
    header_row: int
    columns: dict[str, str]  # field -> header as written in the file
    extra_columns: list[str]
    records: list[OrgRecord]  # the valid rows
    errors: list[RowError]
    warnings: list[RowError]
    total_rows: int  # non-empty data rows
    all_ids: set[str] = field(default_factory=set)  # ids named in any row, valid or not
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None

    @property
    def invalid_rows(self) -> int:
        return len({e.row for e in self.errors})


@dataclass(slots=True)
class _Table:
    rows: list[tuple[int, list[Any]]]  # (row number, cells)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # hyperlink targets of xlsx cells
    # Cells that look filled in Excel but read empty: (row, column) -> (why, the merged range or cell).
    notes: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


# --- cells ---------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious ``.0``, dates as ISO, whitespace collapsed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return re.sub(r"\s+", " ", str(value).replace("\ufeff", "")).strip()


def _extra_value(value: Any) -> Any:
    if isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    return cell_text(value)


def normalize_header(text: str) -> str:
    t = cell_text(text).lower().replace("ё", "е")
    t = re.sub(r"\s+", " ", t)
    return t.strip(" *:.\t")


def map_header(header: str) -> str | None:
    """The field a header names, or None (the column is kept as an extra grouping column)."""
    h = normalize_header(header)
    if not h:
        return None
    for name, synonyms in _EXACT.items():
        if h in synonyms:
            return name
    for name, pattern in _CONTAINS:
        if pattern.search(h):
            return name
    return None


# --- values --------------------------------------------------------------------------------


def normalize_site_url(raw: str) -> str:
    """``http(s)://host[:port]/path`` with a lower-case scheme and host; a bare domain gets ``http://``.

    Raises ``ValueError`` with the reason (in Russian).
    """
    v = raw.strip().strip("<>\"'«»").strip()
    if not v or v.lower() in _NO_VALUE:
        raise ValueError("не указан адрес сайта")
    if re.search(r"[\s,;]", v):
        if len(re.findall(r"[^\s,;]+\.[^\s,;]+", v)) > 1:
            raise ValueError("в ячейке несколько адресов: укажите один адрес сайта")
        raise ValueError("в адресе сайта есть пробелы или знаки препинания")
    if "://" not in v:
        if re.match(r"^https?(:|//)", v, re.IGNORECASE):
            raise ValueError("неверная запись протокола: нужно http:// или https://")
        scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)", v)
        if scheme:
            if scheme.group(1).lower() in ("http", "https"):
                raise ValueError("неверная запись протокола: нужно http:// или https://")
            raise ValueError(f"адрес «{scheme.group(1)}:» не является адресом сайта: нужен http:// или https://")
        if "@" in v.split("/", 1)[0]:
            raise ValueError("это адрес электронной почты, а не сайта")
        if v.startswith("/"):
            raise ValueError("не указано имя сайта")
        v = "http://" + v
    problem = url_problem(v)
    if problem:
        raise ValueError(f"неверный адрес сайта: {problem}")
    parts = urlsplit(v)
    port = parts.port
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"протокол «{parts.scheme}» не поддерживается: нужен http:// или https://")
    if parts.username or parts.password:
        raise ValueError("адрес сайта не должен содержать имя пользователя или пароль")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("в адресе нет имени сайта")
    if ":" in host:  # an IPv6 literal (http://[2001:db8::1]/): urlsplit has checked it
        pass
    elif not _IPV4.match(host):
        labels = host.split(".")
        if len(labels) < 2 or not all(_HOST_LABEL.match(lb) for lb in labels) or not _TLD.match(labels[-1]):
            raise ValueError("неверное имя сайта (домен)")
        if not host.isascii() or "xn--" in host:  # IDNA 2008, as artifacts.urls.host_key reads it
            try:
                idna.encode(host, uts46=True)
            except (idna.IDNAError, UnicodeError) as exc:
                raise ValueError("неверное имя сайта (домен)") from exc
    netloc = f"[{host}]" if ":" in host else host
    netloc = netloc if port is None else f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))


def _inn_checksum_ok(inn: str) -> bool:
    d = [int(c) for c in inn]

    def check(weights: Sequence[int], digits: list[int]) -> int:
        return sum(w * x for w, x in zip(weights, digits, strict=False)) % 11 % 10

    if len(d) == 10:
        return check((2, 4, 10, 3, 5, 9, 4, 6, 8), d) == d[9]
    n11 = check((7, 2, 4, 10, 3, 5, 9, 4, 6, 8), d)
    n12 = check((3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8), d)
    return n11 == d[10] and n12 == d[11]


def normalize_inn(raw: Any) -> str:
    """10 digits (an organization) or 12 (a person), checksum verified.

    A number cell lost the leading zero of some regions' ИНН (``0274…``): it is put back.
    """
    text = cell_text(raw).replace(" ", "")
    if not text.isdigit():
        raise ValueError("ИНН должен состоять из цифр")
    if isinstance(raw, (int, float)) and len(text) in (9, 11):
        text = "0" + text
    if len(text) not in (10, 12):
        raise ValueError("ИНН должен содержать 10 цифр (организация) или 12 цифр")
    if not _inn_checksum_ok(text):
        raise ValueError("неверная контрольная сумма ИНН")
    return text


def parse_busgov_id(raw: str) -> int:
    """An agencyId of bus.gov.ru: a number, or a link to the organization's card."""
    text = raw.strip()
    if text.isdigit():
        return int(text)
    m = _BUSGOV_URL.search(text)
    if m:
        return int(m.group(1) or m.group(2))
    raise ValueError("идентификатор bus.gov.ru (agencyId) должен быть числом или ссылкой на карточку организации")


def _type_reason() -> str:
    codes = ", ".join(t.value for t in OrgType)
    return f"неизвестный тип организации: укажите код ({codes}) или название (школа, детский сад, колледж, университет, дом детского творчества, институт развития образования…)"


# --- files ---------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "cp1251"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise RegistryFileError("не удалось определить кодировку файла: сохраните его в UTF-8 или Windows-1251")


def _column_letter(index: int) -> str:
    """0 → A, 26 → AA: the column as a spreadsheet names it."""
    n, letters = index + 1, ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _csv_records(text: str, delimiter: str) -> list[list[str]]:
    """The CSV's records; a record that cannot be parsed is an error naming its row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    while True:
        try:
            records.append(next(reader))
        except StopIteration:
            return records
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                why = (f"ячейка длиннее {csv.field_size_limit()} символов — проверьте, не пропущена ли "
                       "закрывающая кавычка («\"») в этой строке: тогда всё до следующей кавычки читается как одна ячейка")
            else:
                why = str(exc)
            raise RegistryFileError(f"не удалось разобрать CSV: строка {len(records) + 1}: {why}") from exc


def _read_csv(data: bytes) -> list[_Table]:
    try:
        text, encoding = _decode(data)
    except UnicodeDecodeError as exc:
        raise RegistryFileError("файл повреждён: текст не читается в объявленной кодировке") from exc
    if "\x00" in text:
        raise RegistryFileError("файл не похож на таблицу CSV (в нём двоичные данные)")
    tables = []
    for delimiter in (";", ",", "\t"):
        rows = [(n, list(r)) for n, r in enumerate(_csv_records(text, delimiter), start=1)]
        tables.append(_Table(rows=rows, encoding=encoding, delimiter=delimiter))
    return tables


def _read_xlsx(data: bytes) -> list[_Table]:
    import warnings  # noqa: PLC0415

    from openpyxl import load_workbook  # noqa: PLC0415

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and data validation it ignores
            wb = load_workbook(io.BytesIO(data), data_only=True)
            # data_only gives the values Excel saved; a formula never calculated (a file written
            # by a program) has none, and only the formulas' book tells it from an empty cell.
            formula_wb = load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException, ...)
        raise RegistryFileError(f"не удалось прочитать книгу Excel (.xlsx): файл повреждён или имеет другой формат ({type(exc).__name__})") from exc
    tables = []
    for ws, formula_ws in zip(wb.worksheets, formula_wb.worksheets, strict=True):
        rows: list[tuple[int, list[Any]]] = []
        links: dict[tuple[int, int], str] = {}
        notes = _merged_notes(ws)
        formulas = {(c.row, c.column - 1): str(c.value) for r in formula_ws.iter_rows() for c in r if c.data_type == "f"}
        for cells in ws.iter_rows():
            if not cells:
                continue
            values = []
            for i, cell in enumerate(cells):
                values.append(cell.value)
                link = getattr(cell, "hyperlink", None)
                if link is not None and getattr(link, "target", None):
                    links[(cells[0].row, i)] = link.target
                formula = formulas.get((cells[0].row, i))
                if cell.value is None and formula is not None:
                    where = f"{_column_letter(i)}{cells[0].row}"
                    notes[(cells[0].row, i)] = (
                        f"формула без значения в ячейке {where} ({formula[:60]}): книга сохранена без вычисленных значений — "
                        "откройте её в Excel или LibreOffice и сохраните заново (или вставьте значения вместо формул)",
                        where,
                    )
            rows.append((cells[0].row, values))
        tables.append(_Table(rows=rows, links=links, notes=notes, sheet=ws.title))
    wb.close()
    formula_wb.close()
    return tables


def _merged_notes(ws: Any) -> dict[tuple[int, int], tuple[str, str]]:
    """The cells a merged range hides: only its first cell holds the value."""
    notes: dict[tuple[int, int], tuple[str, str]] = {}
    for rng in ws.merged_cells.ranges:
        anchor = f"{_column_letter(rng.min_col - 1)}{rng.min_row}"
        for row in range(rng.min_row, rng.max_row + 1):
            for col in range(rng.min_col, rng.max_col + 1):
                if (row, col) != (rng.min_row, rng.min_col):
                    notes[(row, col - 1)] = (
                        f"объединённая ячейка {rng.coord}: в {_column_letter(col - 1)}{row} значения нет, оно только в первой ячейке "
                        f"{anchor} — разъедините ячейки и заполните значение в каждой строке",
                        rng.coord,
                    )
    return notes


def _find_header(table: _Table) -> tuple[int, dict[str, int], dict[int, str]] | None:
    """(index into rows, field -> column index, column index -> extra column header)."""
    for idx, (_, cells) in enumerate(table.rows[:_HEADER_SCAN_ROWS]):
        mapping: dict[str, int] = {}
        extra: dict[int, str] = {}
        for col, cell in enumerate(cells):
            header = cell_text(cell)
            if not header or _IGNORED_HEADER.match(normalize_header(header)):
                continue
            name = map_header(header)
            if name and name not in mapping:
                mapping[name] = col
            else:
                extra[col] = header
        known = set(mapping) & {"url", "type", "municipality", "id", "inn"}
        if "name" in mapping and len(known) >= 2:
            return idx, mapping, extra
    return None


def _choose_table(tables: list[_Table]) -> tuple[_Table, int, dict[str, int], dict[int, str]]:
    best = None
    for table in tables:
        found = _find_header(table)
        if found and (best is None or len(found[1]) > len(best[2])):
            best = (table, *found)
    if best is None:
        expected = ", ".join(f"«{FIELD_TITLES[f]}»" for f in ("id", "inn", *REQUIRED_COLUMNS))
        raise RegistryFileError(
            f"не найдена строка заголовков таблицы: ожидаются столбцы {expected} (на русском или английском). "
            "Если заголовки есть, проверьте кодировку файла (UTF-8 или Windows-1251) и разделитель (; или ,)"
        )
    return best


def read_registry(path: str | Path) -> RegistryFile:
    """Read and validate a registry file. Raises :class:`RegistryFileError` when it is unreadable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise RegistryFileError(f"файл не найден: {path}") from exc
    except IsADirectoryError as exc:
        raise RegistryFileError(f"это каталог, а не файл: {path}") from exc
    except OSError as exc:
        raise RegistryFileError(f"не удалось прочитать файл {path}: {exc.strerror or exc}") from exc
    if not data.strip():
        raise RegistryFileError(f"файл пуст: {path}")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise RegistryFileError("формат Excel 97–2003 (.xls) не поддерживается: сохраните файл как .xlsx или CSV")
    if data.startswith(b"PK\x03\x04"):
        fmt, tables = "xlsx", _read_xlsx(data)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raise RegistryFileError("файл повреждён или не является книгой Excel (.xlsx)")
    else:
        fmt, tables = "csv", _read_csv(data)
    table, header_idx, mapping, extra_cols = _choose_table(tables)
    return _validate(path, fmt, table, header_idx, mapping, extra_cols)


def _validate(path: Path, fmt: str, table: _Table, header_idx: int, mapping: dict[str, int], extra_cols: dict[int, str]) -> RegistryFile:
    header_row, header_cells = table.rows[header_idx]
    columns = {f: cell_text(header_cells[i]) for f, i in mapping.items()}
    missing = [f for f in REQUIRED_COLUMNS if f not in mapping]
    if "id" not in mapping and "inn" not in mapping:
        missing.insert(0, "id")
    if missing:
        names = ", ".join("«Код» или «ИНН»" if f == "id" else f"«{FIELD_TITLES[f]}»" for f in missing)
        raise RegistryFileError(f"в таблице нет обязательных столбцов: {names} (строка заголовков — {header_row})")

    def col_title(f: str) -> str:
        return columns.get(f) or FIELD_TITLES[f]

    records: list[OrgRecord] = []
    errors: list[RowError] = []
    warnings: list[RowError] = []
    seen_ids: dict[str, int] = {}
    allow_private = env_allows()  # SVEDEN_ALLOW_PRIVATE_ADDRESSES=1: internal addresses are crawled
    seen_urls: dict[str, tuple[int, str, str]] = {}  # site key -> (row, id, the address as written)
    noted: set[str] = set()  # merged ranges already warned about in optional columns
    header_texts = [cell_text(c) for c in header_cells]
    total = 0
    for row_no, cells in table.rows[header_idx + 1 :]:
        if not any(cell_text(c) for c in cells):
            continue
        total += 1

        def raw(f: str, cells: list[Any] = cells) -> Any:
            i = mapping.get(f)
            return cells[i] if i is not None and i < len(cells) else None

        def text(f: str) -> str:
            return cell_text(raw(f))

        row_errors: list[RowError] = []

        def note(f: str, row_no: int = row_no) -> str | None:
            """Why an empty-looking cell is empty: a merged cell or a formula without a value."""
            i = mapping.get(f)
            found = table.notes.get((row_no, i)) if i is not None and not text(f) else None
            return found[0] if found else None

        def err(f: str, value: str, reason: str, row_no: int = row_no, row_errors: list[RowError] = row_errors) -> None:
            # «не указан …» would mislead when Excel shows a value the file does not hold.
            row_errors.append(RowError(row_no, col_title(f), value, (not value and note(f)) or reason))

        inn: str | None = None
        if "inn" in mapping and text("inn"):
            try:
                inn = normalize_inn(raw("inn"))
            except ValueError as exc:
                err("inn", text("inn"), str(exc))
        org_id = text("id") if "id" in mapping else ""
        if not org_id:
            if inn:
                org_id = inn
            elif not (text("inn") and "inn" in mapping):
                err("id" if "id" in mapping else "inn", "", "не указан код организации или ИНН")
        if org_id:
            if org_id in seen_ids:
                hint = "" if "id" in mapping else " (филиалы с одним ИНН различайте столбцом «Код»)"
                err("id" if "id" in mapping else "inn", org_id, f"код организации повторяется (уже был в строке {seen_ids[org_id]}){hint}")
            else:
                seen_ids[org_id] = row_no

        name = text("name")
        if not name:
            err("name", "", "не указано наименование организации")
        type_text = text("type")
        org_type = parse_org_type(type_text) if type_text else None
        if not type_text:
            err("type", "", "не указан тип организации")
        elif org_type is None:
            err("type", type_text, _type_reason())
        municipality = text("municipality")
        if not municipality:
            err("municipality", "", "не указан муниципалитет (орган управления образованием)")

        url_text = text("url")
        link = table.links.get((row_no, mapping["url"]))
        if link and (not url_text or "." not in url_text):
            url_text = link.strip()
        site_url = ""
        try:
            site_url = normalize_site_url(url_text)
        except ValueError as exc:
            err("url", url_text, str(exc))

        busgov: int | None = None
        if "busgov" in mapping and text("busgov"):
            try:
                busgov = parse_busgov_id(text("busgov"))
            except ValueError as exc:
                err("busgov", text("busgov"), str(exc))

        extra = {header: _extra_value(cells[i]) for i, header in extra_cols.items() if i < len(cells) and cell_text(cells[i])}
        for header in [h for h in extra if is_email_header(normalize_header(h))]:  # «E-mail управления», «E-mail организации»
            try:
                extra[header] = ", ".join(parse_addresses(cell_text(extra[header])))
            except ValueError as exc:
                row_errors.append(RowError(row_no, header, cell_text(extra[header]), f"неверный адрес {exc}"))
        reported = {e.column for e in row_errors}
        optional = [(i, col_title(f)) for f, i in mapping.items() if col_title(f) not in reported] + list(extra_cols.items())
        for i, title in optional:
            found = table.notes.get((row_no, i)) if not (i < len(cells) and cell_text(cells[i])) else None
            if found and found[1] not in noted:  # a merged range once, not on each of its rows
                noted.add(found[1])
                lost = "в строки объединения, кроме первой, значение не загружено" if ":" in found[1] else f"значение из {found[1]} не загружено"
                warnings.append(RowError(row_no, title, "", f"{found[0]}; {lost}"))
        beyond = [i for i in range(len(cells)) if (i >= len(header_texts) or not header_texts[i]) and cell_text(cells[i])]
        if beyond:
            shown = "; ".join(cell_text(cells[i])[:60] for i in beyond[:3]) + ("; …" if len(beyond) > 3 else "")
            warnings.append(
                RowError(
                    row_no,
                    ", ".join(_column_letter(i) for i in beyond) + " (без заголовка)",
                    shown,
                    "ячейки за пределами таблицы не загружены (у столбца нет заголовка) — если значения в строке сдвинулись "
                    "(например, разделитель внутри наименования без кавычек), исправьте строку; если это нужные данные, дайте столбцу заголовок",
                )
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        assert org_type is not None
        # One site whatever its form: «школа.рф» and «xn--80atdl2c.xn--p1ai», www., http/https.
        key = (site_key(site_url) or site_url).lower()
        if key in seen_urls and seen_urls[key][1] != org_id:
            first_row, _, first_url = seen_urls[key]
            written = "" if first_url == site_url else f" («{first_url}»)"
            warnings.append(RowError(row_no, col_title("url"), site_url, f"этот же сайт указан у организации в строке {first_row}{written}"))
        seen_urls.setdefault(key, (row_no, org_id, site_url))
        internal = None if allow_private else private_host(urlsplit(site_url).hostname)
        if internal:  # the crawl refuses it (SSRF protection): say so now, no DNS asked
            warnings.append(RowError(row_no, col_title("url"), site_url, f"адрес сайта ведёт во внутреннюю сеть ({internal}) — такие адреса не проверяются (в закрытой сети: SVEDEN_ALLOW_PRIVATE_ADDRESSES=1)"))
        records.append(
            OrgRecord(
                row=row_no,
                id=org_id,
                inn=inn,
                name=name,
                short_name=text("short_name"),
                org_type=org_type.value,
                municipality=municipality,
                site_url=site_url,
                busgov_agency_id=busgov,
                extra=extra,
            )
        )
    if total == 0:
        raise RegistryFileError(f"в таблице нет ни одной строки с организациями (строка заголовков — {header_row})")
    return RegistryFile(
        path=path,
        format=fmt,
        header_row=header_row,
        columns=columns,
        extra_columns=list(extra_cols.values()),
        records=records,
        errors=errors,
        warnings=warnings,
        total_rows=total,
        all_ids=set(seen_ids),
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
    )
