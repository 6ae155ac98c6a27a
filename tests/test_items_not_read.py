"""A document the site served but sveden could not keep to read is «не проверено», never the site's fault."""

from __future__ import annotations

from test_rule_examples import site_with

from checks import catalogue, items
from checks.model import OrgType, Status

LICENSE = next(r for r in catalogue.rules() if r.itemprop == "licenseDocLink")
HTML = '<a itemprop="licenseDocLink" href="http://127.0.0.1/docs/license.pdf">Лицензия</a>'


def _site(probe: dict):
    site = site_with(LICENSE.section, HTML, {})
    site.artifact["probes"]["http://127.0.0.1/docs/license.pdf"] = probe
    return type(site)(site.artifact)


def test_a_document_we_could_not_keep_is_not_checked():
    result = items.judge(LICENSE, _site({"method": "GET", "status": None, "error_kind": "not_read",
                                         "error": "документ не прочитан: не удалось сохранить его для проверки"}), OrgType.school)
    assert result.status is Status.error and result.cause == "not_read" and "не проверено" in result.message


def test_a_document_whose_reading_crashed_is_not_checked():
    from crawler.docfetch import NOT_READ

    result = items.judge(LICENSE, _site({"method": "GET", "status": None, **NOT_READ}), OrgType.school)
    assert result.status is Status.error and result.cause == "not_read"
    assert "не удалось сохранить или прочитать" in result.message


def test_a_document_the_site_fails_to_serve_is_a_violation():
    result = items.judge(LICENSE, _site({"method": "GET", "status": 404}), OrgType.school)
    assert result.status is Status.fail and "не открывается" in result.message
