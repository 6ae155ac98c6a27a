"""A fully compliant site for an organization type, built from the rules' own good examples."""

from __future__ import annotations

from checks import catalogue
from checks.model import Kind, OrgType
from sitekit import Route, page
from testbed.documents import text_pdf


def element(rule, doc: str) -> str:
    if rule.kind is Kind.link:
        return f'<a itemprop="{rule.itemprop}" href="{doc}">{rule.title[:40]}</a>'
    return f'<span itemprop="{rule.itemprop}">Сведения: {rule.title[:40]}</span>'


def compliant_site(org_type: OrgType, name: str = "МБОУ «Средняя общеобразовательная школа № 3»") -> dict[str, Route]:
    # A real PDF with a text layer: the document audits (FIL) read the file.
    routes: dict[str, Route] = {"/docs/doc.pdf": Route(text_pdf(["Document of the compliant school", "with a text layer on every page"]), content_type="application/pdf")}
    menu = ['<a href="/sveden/">Сведения об образовательной организации</a>']
    index = []
    for section in catalogue.sections():
        rules = [r for r in catalogue.section_rules()[section.slug] if r.applies(org_type) and not r.repealed and not r.superseded_by and not r.optional]
        parts = []
        for r in rules:
            if r.parent:
                continue
            children = [c for c in rules if c.parent == r.itemprop]
            if children:
                cells = "".join(f"<td>{element(c, '/docs/doc.pdf')}</td>" for c in children)
                parts.append(f'<table><tr itemprop="{r.itemprop}">{cells}</tr></table>')
            else:
                parts.append(f"<p>{element(r, '/docs/doc.pdf')}</p>")
        if section.slug == "common":
            parts.append(f'<p itemprop="shortName">{name}</p>')
        routes[f"/sveden/{section.slug}/"] = page(f"<h1>{section.title}</h1>" + "".join(parts))
        index.append(f'<a href="/sveden/{section.slug}/">{section.title}</a>')
    routes["/"] = page("".join(menu) + '<p>Телефон: <a href="tel:+74950000000">+7 495 000-00-00</a></p>', name)
    routes["/sveden/"] = page("".join(index))
    return routes
