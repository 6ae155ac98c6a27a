"""«Платные образовательные услуги» — order 1493 п.14, MR v9 /sveden/paid_edu."""

from checks.declare import order_1493, OrgType, Section, bind, link, text

SECTION = Section(
    slug='paid_edu',
    code='PAY',
    legal=(order_1493('п.14'),),
)

RULES = bind(SECTION, (
    text(
        "PAY001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    link(
        "PAY002", 'paidEdu', 'Порядок оказания платных образовательных услуг (эл. документ)',
        note='при отсутствии услуг все позиции размечаются текстом «Отсутствует»',
    ),
    link(
        "PAY003", 'paidDog', 'Образец договора об оказании платных образовательных услуг',
    ),
    link(
        "PAY004", 'paidSt', 'Документ об утверждении стоимости обучения по каждой программе',
    ),
    link(
        "PAY005", 'paidParents', 'Документ о размере родительской платы (присмотр и уход в ДО; содержание в интернате; группы продленного дня)',
        optional=True,
        applies_to=frozenset({OrgType.kindergarten, OrgType.school}),
        applies_note='kindergartens; schools with internat or extended-day groups',
    ),
))
