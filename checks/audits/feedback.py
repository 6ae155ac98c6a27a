"""FBK: the five remote feedback channels НОКО indicator 1.2 counts, one audit each.

The channels are found by one scan of the home, index, subsection and feedback pages
(``checks.feedback.scan``, computed once per site); each audit passes when its channel has
evidence and fails otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from checks.context import Context
from checks.feedback import CHANNEL_TITLES, scan
from checks.model import Audit, AuditResult, Example, LegalRef, Status

LEGAL = (LegalRef("344н", "показатель 1.2"), LegalRef("114", "показатель 1.2"))
WHY = (
    "Независимая оценка качества (критерий 1 «Открытость и доступность информации», показатель 1.2) "
    "начисляет 30 баллов за каждый работающий дистанционный способ взаимодействия с получателями услуг; "
    "эксперты ищут его на официальном сайте."
)


def site_scan(ctx: Context) -> dict:
    return scan(ctx.site)


@dataclass(frozen=True, kw_only=True)
class ChannelAudit(Audit):
    channel: str
    group: str = "feedback"
    legal: tuple[LegalRef, ...] = LEGAL

    def judge(self, ctx: Context) -> AuditResult:
        evidence = ctx.computed(site_scan)["evidence"][self.channel]
        if evidence:
            return self.result(Status.passed, f"найдено: {evidence[0]['match']}", evidence[0]["url"], evidence)
        return self.result(Status.fail, f"не найдено: {CHANNEL_TITLES[self.channel]}")


def _audit(code: str, channel: str, fix: str, good: str, bad: str, good_title: str, bad_title: str, **kw) -> ChannelAudit:
    title = CHANNEL_TITLES[channel]
    return ChannelAudit(
        code=code,
        channel=channel,
        title=f"На сайте есть дистанционный способ обратной связи: {title}",
        failure_title=f"Нет дистанционного способа обратной связи: {title}",
        description=f"Ищет на главной странице, в разделе «Сведения об образовательной организации» и на страницах обратной связи: {title}. {WHY}",
        fix=fix,
        examples=(Example(good, Status.passed, good_title, page="home"), Example(bad, Status.fail, bad_title, page="home"), *kw.pop("examples", ())),
        **kw,
    )


AUDITS = (
    _audit(
        "FBK001", "phone",
        "Разместите номер телефона на главной странице или в «Основных сведениях» ссылкой tel: или текстом с кодом города: +7 (812) 123-45-67.",
        '<p>Телефон: <a href="tel:+78121234567">+7 (812) 123-45-67</a></p>', "<p>Добро пожаловать на сайт школы</p>",
        "ссылка tel: с номером", "телефона нет",
        examples=(Example("<p>ИНН 4703012345</p>", Status.fail, "десять цифр подряд — ИНН, а не телефон", page="home"),),
    ),
    _audit(
        "FBK002", "email",
        "Разместите адрес электронной почты ссылкой mailto: или текстом: school@example.ru.",
        '<p><a href="mailto:school@example.ru">school@example.ru</a></p>', '<p><img src="logo@2x.png"></p>',
        "ссылка mailto:", "«адрес» картинки — не почта",
    ),
    _audit(
        "FBK003", "e_service",
        "Разместите форму электронного обращения (жалобы, предложения) или виджет ПОС «Госуслуги. Решаем вместе».",
        '<script src="https://pos.gosuslugi.ru/bin/script.min.js"></script><div id="js-show-iframe-wrapper"></div>'
        '<script>Widget("https://pos.gosuslugi.ru/form", 354778)</script>',
        '<form action="/search"><input name="q"><button>Найти</button></form>',
        "виджет ПОС", "форма поиска — не обращение",
    ),
    _audit(
        "FBK004", "faq",
        "Создайте раздел «Часто задаваемые вопросы» (вопрос — ответ) и поставьте ссылку на него в меню.",
        '<a href="http://127.0.0.1/faq/">Часто задаваемые вопросы</a>', '<a href="https://ege.example.ru/faq/">Часто задаваемые вопросы</a>',
        "ссылка на свой раздел вопросов", "ссылка на раздел вопросов чужого сайта",
    ),
    _audit(
        "FBK005", "opinion",
        "Разместите анкету для оценки качества условий или ссылку на оценку вашей организации на bus.gov.ru (https://bus.gov.ru/qrcode/rate/… с номером организации из адреса её карточки на bus.gov.ru).",
        '<a href="https://bus.gov.ru/qrcode/rate/231547">Оценить качество условий</a>', "<p>Новости школы</p>",
        "ссылка на оценку на bus.gov.ru", "ни анкеты, ни ссылки",
    ),
)
