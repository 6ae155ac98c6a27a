"""«Образовательные стандарты и требования» — order 1493 п.6 (абз. последний), п.20, MR v9 /sveden/eduStandarts."""

from checks.declare import order_1493, OrgType, Section, bind, link, text

SECTION = Section(
    slug='eduStandarts',
    code='STD',
    legal=(order_1493('п.6 (абз. последний)'), order_1493('п.20'),),
    conditional='подраздел обязателен, если организация реализует программы по ФГОС, ФГТ или собственным стандартам',
)

RULES = bind(SECTION, (
    text(
        "STD001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    link(
        "STD002", 'eduFedDoc', 'ФГОС (активная ссылка на официально опубликованный акт)',
        applies_to=frozenset({OrgType.school, OrgType.kindergarten, OrgType.college, OrgType.university}),
        applies_note='orgs implementing FGOS programs (schools, kindergartens, СПО, ВО)',
    ),
    link(
        "STD003", 'eduStandartDoc', 'Самостоятельно утвержденные образовательные стандарты (эл. документ)',
        optional=True,
        applies_to=frozenset({OrgType.university}),
        applies_note='universities with own standards (ст.11 ч.10 273-ФЗ)',
    ),
    link(
        "STD004", 'eduFedTreb', 'Федеральные государственные требования (ФГТ)',
        optional=True,
        applies_to=frozenset({OrgType.additional, OrgType.university}),
        applies_note='orgs implementing programs under ФГТ (e.g. предпрофессиональные программы в искусстве, аспирантура)',
    ),
    link(
        "STD005", 'eduStandartTreb', 'Самостоятельно устанавливаемые требования (эл. документ)',
        optional=True,
        applies_to=frozenset({OrgType.university}),
        applies_note='universities with own requirements',
    ),
))
