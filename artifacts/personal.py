"""What must not be published: personal data and restricted documents, found in text.

Shared by the gatherers, which scan the text of every page and document they already hold
(``crawler.extract``, ``crawler.documents``), and the audits (``checks.audits.personal``), which
judge the findings. The full value never leaves this module: a finding is its kind, where it
stands (line, page, element path), a **masked** snippet (``123-***-*** **``) and a salted hash
of the value, so next month's crawl can tell whether the same value is still there.

Detectors, each precise on purpose (a person reviews every finding):

- ``snils``: 11 digits written as a СНИЛС (``123-456-789 64``, or 11 digits in a row beside the
  word «СНИЛС») whose check number is right;
- ``passport``: a series and number (``40 12 345678``) just after the word «паспорт» (not «паспорт
  доступности», «паспорт безопасности» and other documents called «паспорт»);
- ``inn``: 12 digits with both ИНН check digits right, on a line with a person's name (a
  10-digit ИНН is an organization's and is never flagged);
- ``birth_date``: a child's date of birth beside a full name, in a list of children
  (enrolment orders, class lists, competition results);
- ``address``: a home address (with a flat, or said to be where one lives) beside a name;
- ``health``: health or social status (disability, «многодетная», «малоимущая», «опекаемый»,
  a diagnosis…) beside a name;
- ``restricted``: a restricted document by its title («паспорт безопасности», «паспорт
  антитеррористической защищённости», «ДСП», «для служебного пользования»).

The hash is HMAC-SHA-256 keyed with the installation's salt: ``SVEDEN_PERSONAL_SALT`` in the
environment, else the file ``SVEDEN_PERSONAL_SALT_FILE`` names, else ``personal-salt`` in the
user's data directory (created on first use, readable by its owner only). Machines of one
distributed run share it through the environment variable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

KINDS = {
    "snils": "СНИЛС",
    "passport": "паспортные данные",
    "inn": "ИНН физического лица",
    "birth_date": "дата рождения ребёнка рядом с ФИО",
    "address": "домашний адрес рядом с ФИО",
    "health": "сведения о здоровье или социальном положении рядом с ФИО",
    "restricted": "документ ограниченного доступа",
}
MAX_PER_KIND = 20  # findings of one kind kept per text: enough to act on, small in the artifact
SNIPPET = 80  # characters of a masked snippet
TITLE_LINES = 30  # a document's title region, where a restricted marking stands

# ---- persons' names ---------------------------------------------------------------------------

_UP, _LO = "А-ЯЁ", "а-яё"
_SURNAME = rf"[{_UP}][{_LO}]{{1,30}}(?:-[{_UP}][{_LO}]{{1,30}})?"
_FIRST = rf"[{_UP}][{_LO}]{{1,20}}"
# Patronymics in any case: Иванович(а, у, ем), Ивановна(ы, е, ой), Ильинична, Кузьмич, оглы/кызы.
_PATRONYMIC = rf"[{_UP}][{_LO}]{{1,25}}(?:ич|вн|ичн)[{_LO}]{{0,3}}(?![{_LO}])|[{_UP}][{_LO}]{{2,20}}\s+(?:оглы|кызы)"
_INITIALS = rf"[{_UP}]\.\s?[{_UP}]\."
_SEP = r"(?:\s*\|\s*|\s+)"  # words of a name, also in separate table cells (joined by «|», ``crawler.pagetext``)
NAME = re.compile(
    rf"(?<![{_UP}{_LO}])(?:{_SURNAME}{_SEP}{_FIRST}{_SEP}(?:{_PATRONYMIC})"  # Иванов Иван Иванович
    rf"|{_FIRST}\s+(?:{_PATRONYMIC})\s+{_SURNAME}(?![{_LO}])"  # Иван Иванович Иванов
    rf"|{_SURNAME}\s+{_INITIALS}"  # Иванов И.И.
    rf"|{_INITIALS}\s?{_SURNAME}(?![{_LO}])"  # И.И. Иванов
    # ИВАНОВ ИВАН ИВАНОВИЧ, as protocols and lists often write names
    rf"|(?<![{_UP}])[{_UP}]{{2,30}}(?:-[{_UP}]{{2,30}})?\s+[{_UP}]{{2,20}}\s+[{_UP}]{{2,25}}(?:ИЧ|ВН|ИЧН)[{_UP}]{{0,3}}(?![{_UP}{_LO}]))"
)
# Words with a capital that the name pattern would take for a surname at the start of a line.
_NOT_SURNAMES = frozenset("Приказ Директор Заместитель Учитель Педагог Список Протокол Класс Положение Совет Министерство Комитет Управление".split())


def names(line: str) -> list[re.Match[str]]:
    return [m for m in NAME.finditer(line) if m.group(0).split()[0].rstrip(".") not in _NOT_SURNAMES]


def mask_word(word: str) -> str:
    """«Иванов» → «И*****»; initials stay (they identify nobody alone)."""
    parts = re.split(r"(\W)", word)
    return "".join(p[0] + "*" * (len(p) - 1) if len(p) > 1 else p for p in parts)


def mask_name(name: str) -> str:
    return " ".join(mask_word(w) for w in name.replace("|", " ").split())


def _mask_digits(text: str) -> str:
    return re.sub(r"\d", "*", text)


# ---- checksums --------------------------------------------------------------------------------


def snils_valid(digits: str) -> bool:
    """The СНИЛС check number (Pension Fund rules); numbers up to 001-001-998 carry none."""
    if len(digits) != 11 or not digits.isdigit() or int(digits[:9]) <= 1001998:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(9, 0, -1), strict=True))
    check = total if total < 100 else 0 if total in (100, 101) else total % 101
    return (0 if check == 100 else check) == int(digits[9:])


_INN_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn12_valid(digits: str) -> bool:
    """Both check digits of an individual's 12-digit ИНН."""
    if len(digits) != 12 or not digits.isdigit() or digits == "0" * 12:
        return False
    n = [int(d) for d in digits]
    c11 = sum(a * b for a, b in zip(n, _INN_W11, strict=False)) % 11 % 10
    c12 = sum(a * b for a, b in zip(n, _INN_W12, strict=False)) % 11 % 10
    return n[10] == c11 and n[11] == c12


# ---- patterns ---------------------------------------------------------------------------------

_SNILS = re.compile(r"(?<![\d+\-])(\d{3})[-\s](\d{3})[-\s](\d{3})[-\s](\d{2})(?![\d\-])")
_SNILS_PLAIN = re.compile(r"(?<!\d)(\d{11})(?!\d)")
_SNILS_WORD = re.compile(r"снилс|страхов\w*\s+номер|страхово\w*\s+свидетельств", re.I)
# «паспорт» of a person, not of a building, a programme or a safety plan.
_PASSPORT_WORD = re.compile(r"паспорт\w*", re.I)
_NOT_PERSONAL_PASSPORT = re.compile(
    r"паспорт\w*\s+(?:доступност|безопасност|антитеррор|дорожн|объект|здани|программ|кабинет|учебн|энергет|комплексн|"
    r"оборудован|услуг|проект|качеств|санитарн|пищеблок|групп|организаци|школ|сайт|муниципальн|региональн|национальн|федеральн)",
    re.I,
)
_PASSPORT_NUMBER = re.compile(
    r"(?<!\d)(?:сер(?:ия|ии|\.)?\s*)?(\d{2})\s?(\d{2})\s*(?:,\s*)?(?:№|N|номер|ном\.)?\s*(\d{6})(?!\d)", re.I
)
PASSPORT_WINDOW = 60  # characters after «паспорт» in which the series and number stand
_INN12 = re.compile(r"(?<!\d)(\d{12})(?!\d)")
NAME_WINDOW = 120  # characters between a name and the data it goes with

_DATE = re.compile(
    r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./]((?:19|20)\d{2})(?![\d])"
    r"|(?<!\d)(\d{1,2})\s+(января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)\s+((?:19|20)\d{2})(?!\d)",
    re.I,
)
_BIRTH_MARK = re.compile(r"рожд|г\.\s?р\.?|д\.\s?р\.|\bдр\b", re.I)
_BIRTH_HEADER = re.compile(r"(?:дата|год)\w*\s+рождения|\bд\.\s?р\.|\bг\.\s?р\.", re.I)
CHILD_AGE = 22  # a date of birth within this many years is a child's or a student's

_STREET = r"(?:ул\.|улица|пр\.|пр-т|проспект|пер\.|переулок|ш\.|шоссе|б-р|бульвар|наб\.|набережная|мкр\.?|микрорайон|пл\.|площадь|проезд)"
_HOUSE = r"(?:д\.|дом)\s*\d+\s?[а-яА-Я]?(?:\s*[,/]?\s*(?:корп\.|корпус|к\.|стр\.)\s*\d+)?"
_FLAT = r"(?:кв\.|квартира)\s*\d+"
_ADDRESS_WITH_FLAT = re.compile(rf"{_STREET}\s*[^,;|]{{1,40}}?,?\s*{_HOUSE}\s*,?\s*{_FLAT}", re.I)
_ADDRESS = re.compile(rf"{_STREET}\s*[^,;|]{{1,40}}?,?\s*{_HOUSE}(?:\s*,?\s*{_FLAT})?", re.I)
_RESIDENCE = re.compile(r"прожива|место\w*\s+жительства|зарегистрирован\w*\s+по\s+адресу|адрес\w*\s+(?:регистрации|проживания)|домашн\w*\s+адрес", re.I)

_HEALTH = re.compile(
    r"инвалид|ограниченн\w*\s+возможност\w*\s+здоровья|\bовз\b|многодетн|малоимущ|малообеспеченн|опекаем|под\s+опек|"
    r"сирот|без\s+попечения\s+родител|диагноз|заболевани|на\s+учете\s+у\s+(?:врача|психиатра|нарколога|фтизиатра)|"
    r"группа\s+здоровья|социально\s+опасн|неблагополучн|льготн\w*\s+категори|\bкдн\b",
    re.I,
)
# Where the term describes a duty, not the person: «ответственный за работу с детьми-инвалидами».
_DUTY = re.compile(r"ответственн|работ\w*\s+с\s+|курирует|координатор|специалист\s+по|по\s+работе\s+с", re.I)

RESTRICTED = re.compile(
    r"паспорт\w*\s+(?:комплексной\s+)?безопасности|паспорт\w*\s+антитеррористическ\w*\s+защищ[её]нност\w*|для\s+служебного\s+пользования",
    re.I,
)
# Safety passports that are published: road safety («паспорт безопасности дорожного движения») and the
# safety data sheets of chemicals and cleaning agents («паспорт безопасности химической продукции»).
_NOT_RESTRICTED = re.compile(r"\s*(?:\(|«|\")?\s*(?:дорожн|движени|химическ|веществ|продукци|средств|смес|материал)", re.I)
_DSP = re.compile(r"(?<![А-ЯЁа-яёA-Za-z])ДСП(?![А-ЯЁа-яёA-Za-z])")
_DSP_MATERIAL = re.compile(r"плит|ламинир|\bмм\b|мебел|столешниц|шкаф|стол\b|полк", re.I)


def restricted_title(text: str) -> str:
    """The restricted marking a title carries («паспорт безопасности»…), or ""."""
    m = RESTRICTED.search(text or "")
    if m and not _NOT_RESTRICTED.match(text, m.end()):
        return m.group(0)
    d = _DSP.search(text or "")
    if d and not _DSP_MATERIAL.search(text):
        return d.group(0)
    return ""


# ---- the salt and the hash ----------------------------------------------------------------------


def salt_path() -> Path:
    named = os.environ.get("SVEDEN_PERSONAL_SALT_FILE", "").strip()
    if named:
        return Path(named)
    from platformdirs import user_data_dir

    return Path(user_data_dir("sveden", appauthor=False)) / "personal-salt"


@cache
def _salt() -> bytes:
    given = os.environ.get("SVEDEN_PERSONAL_SALT", "")
    if given:
        return given.encode()
    path = salt_path()
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # the first process creates it; another that raced reads the winner's
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_bytes().strip()


def fingerprint(kind: str, value: str) -> str:
    """The salted hash of a normalized value: equal next month when the value is still there."""
    key = re.sub(r"[\s\-.,/№]", "", value).lower()
    return hmac.new(_salt(), f"{kind}:{key}".encode(), hashlib.sha256).hexdigest()[:20]


# ---- detection ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    kind: str
    start: int  # span of the value in the line
    end: int
    masked: str
    value: str  # the normalized value, hashed and then dropped: never leaves this module


def _near_name(line: str, start: int, end: int) -> re.Match[str] | None:
    """The person's name closest to a span, within NAME_WINDOW characters."""
    best, gap = None, NAME_WINDOW + 1
    for m in names(line):
        d = start - m.end() if m.end() <= start else m.start() - end if m.start() >= end else 0
        if 0 <= d < gap:
            best, gap = m, d
    return best


def _snils(line: str) -> list[Hit]:
    out = []
    for m in _SNILS.finditer(line):
        digits = "".join(m.groups())
        if snils_valid(digits) and not re.search(r"(?:тел|факс|\+7)\D{0,6}$", line[: m.start()], re.I):
            out.append(Hit("snils", m.start(), m.end(), f"{digits[:3]}-***-*** **", digits))
    if _SNILS_WORD.search(line):
        for m in _SNILS_PLAIN.finditer(line):
            if snils_valid(m.group(1)):
                out.append(Hit("snils", m.start(), m.end(), f"{m.group(1)[:3]}-***-*** **", m.group(1)))
    return out


def _passport(line: str, previous: str) -> list[Hit]:
    out = []
    words = [w for w in _PASSPORT_WORD.finditer(line) if not _NOT_PERSONAL_PASSPORT.match(line, w.start())]
    # A table row under a «Паспорт» header cell: the word stands on the line above.
    if not words and _PASSPORT_WORD.search(previous) and not _NOT_PERSONAL_PASSPORT.search(previous):
        words = [re.match(r"", line)]
    for w in words:
        window = line[w.end(): w.end() + PASSPORT_WINDOW] if w.group(0) else line[:PASSPORT_WINDOW]
        m = _PASSPORT_NUMBER.search(window)
        if m:
            base = w.end() if w.group(0) else 0
            series, number = m.group(1) + m.group(2), m.group(3)
            out.append(Hit("passport", base + m.start(), base + m.end(), f"паспорт {series[:2]} ** ******", series + number))
    return out


def _inn(line: str) -> list[Hit]:
    out = []
    for m in _INN12.finditer(line):
        digits = m.group(1)
        person = _near_name(line, m.start(), m.end())
        if inn12_valid(digits) and person is not None:
            out.append(Hit("inn", m.start(), m.end(), f"{mask_name(person.group(0))}, ИНН {digits[:2]}**********", digits))
    return out


def _birth_dates(line: str, text_has_header: bool, text_is_children: bool, this_year: int) -> list[Hit]:
    out = []
    marked = bool(_BIRTH_MARK.search(line))
    if not (marked or (text_has_header and text_is_children)):
        return out
    for m in _DATE.finditer(line):
        year = int(m.group(3) or m.group(6))
        if not this_year - CHILD_AGE <= year <= this_year:
            continue
        person = _near_name(line, m.start(), m.end())
        if person is None:
            continue
        out.append(Hit("birth_date", m.start(), m.end(), f"{mask_name(person.group(0))}, **.**.****", person.group(0) + m.group(0)))
    return out


def _addresses(line: str) -> list[Hit]:
    out = []
    residence = bool(_RESIDENCE.search(line))
    for m in (_ADDRESS if residence else _ADDRESS_WITH_FLAT).finditer(line):
        person = _near_name(line, m.start(), m.end())
        if person is None:
            continue
        street = m.group(0)
        masked = _mask_digits(re.sub(rf"[{_UP}][{_LO}]+", lambda w: mask_word(w.group(0)), street))
        out.append(Hit("address", m.start(), m.end(), f"{mask_name(person.group(0))}, {masked}"[:SNIPPET], person.group(0) + street))
    return out


def _health(line: str) -> list[Hit]:
    out = []
    for m in _HEALTH.finditer(line):
        person = _near_name(line, m.start(), m.end())
        if person is None or _DUTY.search(line[max(0, min(person.start(), m.start()) - 40): max(person.end(), m.end())]):
            continue
        out.append(Hit("health", person.start(), person.end(), f"{mask_name(person.group(0))} — {m.group(0).lower()}", person.group(0) + m.group(0).lower()))
    return out


# Cheap gates, tried on the lower-cased line before a detector's own patterns: most lines of a page
# pass none of them, and the detectors' patterns (alternations, case-insensitive) cost far more.
_DIGIT = re.compile(r"\d")
_SNILS_GATE = re.compile(r"\d\d\d[-\s]\d\d\d")
_INN_GATE = re.compile(r"\d{12}")
_DATE_GATE = re.compile(r"\d[./]\d|\d\s[а-я]{3,8}\s[12]\d{3}")
_HEALTH_STEMS = ("инвалид", "ограниченн", "овз", "многодет", "малоимущ", "малообеспеч", "опек", "сирот", "попечени", "диагноз",
                 "заболеван", "на учете", "группа здоров", "социально опасн", "неблагополуч", "льготн", "кдн")
_ADDRESS_STEMS = ("кв.", "квартир", "прожива", "жительств", "зарегистрирован", "регистрации", "домашн")


# A list of children: enrolment orders, class lists, competition results.
_CHILDREN_STEMS = ("зачисл", "отчисл", "перевод", "список", "класс", "воспитанник", "обучающ", "учащ", "протокол", "результат",
                   "победител", "призер", "призёр", "участник", "соревновани", "олимпиад", "конкурс", "первенств")


# Any of the stems in a lower-cased line: one search instead of a generator over the tuple.
_HEALTH_GATE, _ADDRESS_GATE, _CHILDREN_GATE = (re.compile("|".join(map(re.escape, stems))) for stems in (_HEALTH_STEMS, _ADDRESS_STEMS, _CHILDREN_STEMS))


def text_context(text: str) -> tuple[bool, bool]:
    """(a «дата рождения» header, a list of children) anywhere in the text: the birth date detector's context."""
    low = text.lower()
    header = "рожд" in low and bool(_BIRTH_HEADER.search(low)) or ("р." in low and bool(re.search(r"[дг]\.\s?р\.", low)))
    return header, bool(_CHILDREN_GATE.search(low))


def line_hits(line: str, *, previous: str = "", text_has_header: bool = False, text_is_children: bool = False, this_year: int | None = None) -> list[Hit]:
    """Every personal value on one line (the restricted titles are :func:`restricted_title`'s)."""
    low = line.lower()
    hits: list[Hit] = []
    if _HEALTH_GATE.search(low):
        hits += _health(line)
    if not _DIGIT.search(line):
        return hits
    if _SNILS_GATE.search(line) or "снилс" in low or "страхов" in low:
        hits += _snils(line)
    if "паспорт" in low or "паспорт" in previous.lower():
        hits += _passport(line, previous)
    if _INN_GATE.search(line):
        hits += _inn(line)
    if _DATE_GATE.search(low):
        hits += _birth_dates(line, text_has_header, text_is_children, this_year or date.today().year)
    if _ADDRESS_GATE.search(low):
        hits += _addresses(line)
    return hits


def scan(text: str, where: dict[str, Any] | None = None, *, line_paths: Sequence[str] | None = None, title_lines: int = 0) -> list[dict[str, Any]]:
    """The findings in a text: ``{"kind", "masked", "hash", "line", ["page"], ["path"], **where}``.

    ``text`` is split into lines (a table row, a paragraph); form feeds separate the pages of a
    document (``page`` is then 1-based and ``line`` counts within the page). ``line_paths`` gives
    each line's element path on an HTML page. ``title_lines`` > 0 looks for restricted markings
    in a document's first lines. At most ``MAX_PER_KIND`` findings of each kind.
    """
    where = dict(where or {})
    text = text or ""
    has_header, is_children = text_context(text)
    year = date.today().year
    pages = text.split("\f")
    paged = len(pages) > 1
    out: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    absolute = 0

    def add(kind: str, masked: str, value: str, line_no: int, page_no: int) -> None:
        digest = fingerprint(kind, value)
        if counts.get(kind, 0) >= MAX_PER_KIND or (kind, digest) in seen:
            return
        seen.add((kind, digest))
        counts[kind] = counts.get(kind, 0) + 1
        finding: dict[str, Any] = {"kind": kind, "masked": masked[:SNIPPET], "hash": digest, "line": line_no, **where}
        if paged:
            finding["page"] = page_no
        if line_paths is not None and 0 <= absolute < len(line_paths):
            finding["path"] = line_paths[absolute]
        out.append(finding)

    for page_no, page in enumerate(pages, 1):
        previous = ""
        for line_no, line in enumerate(page.split("\n"), 1):
            if line.strip():
                for hit in line_hits(line, previous=previous, text_has_header=has_header, text_is_children=is_children, this_year=year):
                    add(hit.kind, hit.masked, hit.value, line_no, page_no)
                if title_lines and page_no == 1 and line_no <= title_lines:
                    title = restricted_title(line)
                    if title:
                        add("restricted", line.strip()[:SNIPPET], title, line_no, page_no)
                previous = line
            absolute += 1
    return out


_REDACT_GATE = re.compile(r"\d|инвалид|многодет|малоимущ|опекаем|диагноз|сирот", re.I)


def redact(text: str) -> str:
    """``text`` with every personal value found on it masked: for texts the artifact keeps
    (microdata, link texts, headings), which must never carry the value itself."""
    if not text or not _REDACT_GATE.search(text):
        return text
    hits = sorted(line_hits(text, text_has_header=text_context(text)[0], text_is_children=True), key=lambda h: h.start)
    out, pos = [], 0
    for hit in hits:
        if hit.start < pos:
            continue
        out.append(text[pos: hit.start])
        out.append(_mask_digits(text[hit.start: hit.end]) if hit.kind != "health" else mask_name(text[hit.start: hit.end]))
        pos = hit.end
    out.append(text[pos:])
    return "".join(out)


def redact_all(texts: Iterable[str]) -> list[str]:
    return [redact(t) for t in texts]


class DocumentText:
    """Collects a document's text as the document reader yields it (``on_text``), to be scanned once
    it is all read: the pages of a PDF (separated by form feeds), paragraphs of DOCX/ODT."""

    LIMIT = 2_000_000  # characters scanned per document

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        if self.size < self.LIMIT and piece:
            piece = piece[: self.LIMIT - self.size].replace("\f", " ")
            self.pieces.append(piece)
            self.size += len(piece)

    def findings(self, kind: str) -> list[dict[str, Any]]:
        """The findings of the document: pages numbered for a PDF, lines for the rest."""
        text = ("\f" if kind == "pdf" else "\n").join(self.pieces)
        self.pieces, self.size = [], 0
        return scan(text, title_lines=TITLE_LINES)
