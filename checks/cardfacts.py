"""Facts an organization publishes, in forms that compare: names, telephones, addresses, e-mail.

The bus.gov.ru card and the site are filled in by different people: «МБОУ "СОШ № 2"» and
«муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа №2»»
are one name, «+7 (495) 123-45-67» and «84951234567» one telephone, «г. Кириши, ул. Ленина, д. 5»
and «город Кириши улица Ленина 5» one address. Only what still differs after this is a mismatch.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import phonenumbers

from checks.views import SiteView

# ---- names ----------------------------------------------------------------------------------

_OWNERS = {"м": "муниципальное", "г": "государственное", "фг": "федеральное государственное", "ч": "частное", "а": "автономная некоммерческая"}
_FORMS = {"б": "бюджетное", "а": "автономное", "к": "казенное", "": ""}
# The kind of institution after ownership and form; «ОУ» was written for both general and any
# education in older charters, so both readings reduce to the same abbreviation.
_KINDS = {
    "оу": ("общеобразовательное учреждение", "образовательное учреждение"),
    "доу": ("дошкольное образовательное учреждение",),
    "поу": ("профессиональное образовательное учреждение",),
    "удо": ("учреждение дополнительного образования",),
    "оудо": ("образовательное учреждение дополнительного образования",),
    "удпо": ("учреждение дополнительного профессионального образования",),
    "оудпо": ("образовательное учреждение дополнительного профессионального образования",),
    "оуво": ("образовательное учреждение высшего образования",),
    "у": ("учреждение",),
}
# Common words of school names and their abbreviations.
_NAME_WORDS = {
    "сош": ("средняя общеобразовательная школа",),
    "оош": ("основная общеобразовательная школа",),
    "нош": ("начальная общеобразовательная школа",),
    "дс": ("детский сад",),
    "цдт": ("центр детского творчества",),
    "дюсш": ("детско-юношеская спортивная школа", "детско юношеская спортивная школа"),
    "дши": ("детская школа искусств",),
    "им": ("имени",),
}


def _phrases() -> list[tuple[str, str]]:
    """(full phrase, abbreviation) pairs, longest phrase first, so full forms reduce to one token."""
    pairs: list[tuple[str, str]] = []
    for (o, owner), (f, form), (k, kinds) in itertools.product(_OWNERS.items(), _FORMS.items(), _KINDS.items()):
        for kind in kinds:
            pairs.append((" ".join(w for w in (owner, form, kind) if w), f"{o}{f}{k}"))
    for abbr, fulls in _NAME_WORDS.items():
        pairs += [(full, abbr.lower()) for full in fulls]
    return sorted(pairs, key=lambda p: -len(p[0]))


_PHRASES = _phrases()
# «МБУ ДО», «ГАУ ДПО», «ФГБОУ ВО» written with a space reduce to their one-token form.
_SPLIT_ABBR = re.compile(r"(?<!\w)((?:фг|[мгча])[бак]?(?:д|п)?о?у)\s+(до|дпо|во)(?!\w)")
_QUOTES = re.compile(r"[\"'«»“”„‟`´’‘]")
_PUNCT = re.compile(r"[^\w№ ]+")
_NUMBER = re.compile(r"№\s*")


def _base_text(text: str) -> str:
    t = (text or "").lower().replace("ё", "е")
    t = _QUOTES.sub(" ", t).replace("д/с", "дс")
    t = _PUNCT.sub(" ", t)
    t = _NUMBER.sub("№", t)
    return " ".join(t.split())


def name_key(text: str) -> str:
    """One spelling of an organization's name: case, ё, quotes, punctuation and the standard
    abbreviations (МБОУ, СОШ, д/с, им.) do not matter."""
    t = f" {_base_text(text)} "
    for full, abbr in _PHRASES:
        t = t.replace(f" {full} ", f" {abbr} ")
    t = _SPLIT_ABBR.sub(lambda m: f"{m.group(1)}{m.group(2)}", t)
    return " ".join(t.replace("№ ", "№").split())


def same_name(a: str, b: str) -> bool:
    return bool(name_key(a)) and name_key(a) == name_key(b)


# ---- telephones ------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d")


def phone_numbers(text: str) -> set[str]:
    """The telephone numbers in ``text`` in E.164 (``+74951234567``), read as Russian numbers."""
    found = {phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164) for m in phonenumbers.PhoneNumberMatcher(text or "", "RU")}
    if found:
        return found
    # Numbers the library does not consider valid (new codes, typos) still compare by their digits.
    digits = "".join(_DIGITS.findall(text or ""))
    if len(digits) == 11 and digits[0] in "78":
        return {f"+7{digits[1:]}"}
    if len(digits) == 10:
        return {f"+7{digits}"}
    return set()


# ---- addresses -------------------------------------------------------------------------------

_ADDRESS_WORDS = {
    "г": "город", "гор": "город", "ул": "улица", "пр": "проспект", "пр-т": "проспект", "просп": "проспект",
    "пер": "переулок", "пл": "площадь", "наб": "набережная", "ш": "шоссе", "б-р": "бульвар", "бул": "бульвар",
    "обл": "область", "р-н": "район", "р-на": "района", "п": "поселок", "пос": "поселок", "пгт": "поселок городского типа",
    "с": "село", "д": "дом", "корп": "корпус", "к": "корпус", "стр": "строение", "мкр": "микрорайон", "мкрн": "микрорайон",
    "лит": "литера", "кв": "квартал",
}
# Words that carry no difference: the country, «дом» before the number.
_NOISE = {"российская", "федерация", "россия", "рф", "дом"}
_INDEX = re.compile(r"^\d{6}$")


def address_tokens(text: str) -> list[str]:
    t = (text or "").lower().replace("ё", "е")
    t = _QUOTES.sub(" ", t)
    words = re.findall(r"[\w-]+", t)
    out = []
    for w in words:
        w = w.strip("-")
        full = _ADDRESS_WORDS.get(w, w)
        out += [x for x in full.split() if x not in _NOISE]
    return out


def same_address(a: str, b: str) -> bool:
    """The same place: one address's words are all in the other's (a missing index, region or
    country is no difference), once abbreviations, punctuation, case and ё are set aside."""
    ta, tb = address_tokens(a), address_tokens(b)
    if not ta or not tb:
        return False
    sa, sb = set(ta), set(tb)
    if not (any(_INDEX.match(x) for x in sa) and any(_INDEX.match(x) for x in sb)):
        sa = {x for x in sa if not _INDEX.match(x)}
        sb = {x for x in sb if not _INDEX.match(x)}
    small, big = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    return len(small) >= 2 and small <= big


# ---- e-mail and ИНН --------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_INN = re.compile(r"ИНН\D{0,12}?(\d{10}|\d{12})(?!\d)", re.I)


def emails(text: str) -> set[str]:
    return {e.lower() for e in _EMAIL.findall(text or "")}


def inns(text: str) -> set[str]:
    return set(_INN.findall(text or ""))


# ---- what the site publishes -----------------------------------------------------------------


def site_facts(site: SiteView) -> dict[str, Any]:
    """The site's own facts from its microdata, «Основные сведения» first: the texts of
    ``fullName``, ``address``, ``telephone``, ``email`` (each with the page it is on), the ИНН
    written in any marked-up text, and the site's addresses (its host and where it redirected)."""
    common = site.section("common")
    pages = [*common.pages, *site.pages]
    facts: dict[str, Any] = {}
    for prop in ("fullName", "address", "telephone", "email"):
        values: list[str] = []
        url = ""
        for page in pages:
            for node in page.get("microdata") or []:
                if prop in str(node.get("p", "")).split() and node.get("t", "").strip():
                    text = node["t"].strip()
                    if prop == "email" and not emails(text):
                        text = " ".join(h.removeprefix("mailto:") for h in node.get("h", []) if h.startswith("mailto:")) or text
                    if text not in values:
                        values.append(text)
                    url = url or page.get("final_url") or page.get("url", "")
            if values:
                break  # the first page that publishes it (its own subsection before the rest)
        facts[prop] = {"values": values, "url": url}
    inn_found: dict[str, str] = {}
    for page in pages:
        for node in page.get("microdata") or []:
            props = str(node.get("p", "")).lower().split()
            text = node.get("t", "")
            found = {text.strip()} if "inn" in props and re.fullmatch(r"\d{10}|\d{12}", text.strip()) else inns(text)
            for inn in found:
                inn_found.setdefault(inn, page.get("final_url") or page.get("url", ""))
    facts["inn"] = inn_found
    home = next((p for p in site.pages if p.get("role") == "home"), {})
    facts["site_urls"] = [u for u in (site.artifact.get("url"), home.get("final_url")) if u]
    return facts
