"""Reading the contacts file of ``sveden contacts import`` (CSV or XLSX, as offices keep them).

Columns (Russian or English headers, in any order): the municipality («Муниципалитет»), the
addresses («E-mail», «Электронная почта»; several in a cell separated by «,» or «;») and,
optionally, the organization's code («Код»): a row with a code holds that school's addresses,
a row without one the department's. Files are read as the registry is
(:mod:`sveden.registry_io`: encodings, delimiters, title rows above the header).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from storage.contacts import ContactRecord
from sveden.emails import is_email_header, parse_addresses
from sveden.registry_io import RegistryFileError, RowError, _read_csv, _read_xlsx, _Table, cell_text, map_header, normalize_header


class ContactsFileError(Exception):
    """The file cannot be read as a contacts file (Russian message)."""


@dataclass(slots=True)
class ContactsFile:
    records: list[ContactRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _header(table: _Table) -> tuple[int, dict[str, int]] | None:
    for idx, (_, cells) in enumerate(table.rows[:20]):
        mapping: dict[str, int] = {}
        for col, cell in enumerate(cells):
            header = cell_text(cell)
            if not header:
                continue
            if is_email_header(normalize_header(header)):
                mapping.setdefault("email", col)
            elif (name := map_header(header)) in ("municipality", "id") and name not in mapping:
                mapping[name] = col
        if "email" in mapping and ("municipality" in mapping or "id" in mapping):
            return idx, mapping
    return None


def read_contacts(path: str | Path) -> ContactsFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContactsFileError(f"не удалось прочитать файл {path}: {exc.strerror or exc}") from exc
    if not data.strip():
        raise ContactsFileError(f"файл пуст: {path}")
    try:
        tables = _read_xlsx(data) if data.startswith(b"PK\x03\x04") else _read_csv(data)
    except RegistryFileError as exc:
        raise ContactsFileError(str(exc)) from exc
    found = next(((t, *h) for t in tables if (h := _header(t)) is not None), None)
    if found is None:
        raise ContactsFileError("не найдена строка заголовков: ожидаются столбцы «Муниципалитет», «E-mail» и, для адресов организаций, «Код»")
    table, header_idx, mapping = found
    titles = {f: cell_text(table.rows[header_idx][1][i]) for f, i in mapping.items()}
    out = ContactsFile()
    for row_no, cells in table.rows[header_idx + 1:]:
        def text(f: str, cells: list = cells) -> str:
            i = mapping.get(f)
            return cell_text(cells[i]) if i is not None and i < len(cells) else ""

        muni, org_id, emails = text("municipality"), text("id"), text("email")
        if not (muni or org_id or emails):
            continue
        if not muni and not org_id:
            out.errors.append(RowError(row_no, titles.get("municipality", "Муниципалитет"), "", "не указан муниципалитет"))
            continue
        if not emails:
            out.errors.append(RowError(row_no, titles["email"], "", "не указан адрес электронной почты"))
            continue
        try:
            addresses = parse_addresses(emails)
        except ValueError as exc:
            out.errors.append(RowError(row_no, titles["email"], emails, f"неверный адрес {exc}"))
            continue
        out.records.extend(ContactRecord(row_no, muni, org_id, a) for a in addresses)
    return out
