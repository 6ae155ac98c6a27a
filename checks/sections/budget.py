"""«Финансово-хозяйственная деятельность» — order 1493 п.15, MR v9 /sveden/budget."""

from checks.declare import Section, bind, link, text

SECTION = Section(
    slug='budget',
    code='BUD',
    title='Финансово-хозяйственная деятельность',
    basis='Приказ № 1493 п.15',
    link_titles=('финансово-хозяйственная деятельность',),
    path_aliases=('finansovo-hozyaystvennaya-deyatelnost', 'finansovo-khozyaystvennaya-deyatelnost'),
)

RULES = bind(SECTION, (
    text(
        "BUD001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "BUD002", 'finBFVolume', 'Объем за счет федерального бюджета (тыс. руб.)',
    ),
    text(
        "BUD003", 'finBRVolume', 'Объем за счет бюджетов субъектов РФ',
    ),
    text(
        "BUD004", 'finBMVolume', 'Объем за счет местных бюджетов',
    ),
    text(
        "BUD005", 'finPVolume', 'Объем по договорам платных услуг',
    ),
    text(
        "BUD006", 'volume', 'Главный тег. Поступление и расходование средств (строка на год)',
    ),
    text(
        "BUD007", 'finYear', 'Год отчетности',
        parent='volume',
    ),
    text(
        "BUD008", 'finPost', 'Поступление финансовых и материальных средств',
        parent='volume',
    ),
    text(
        "BUD009", 'finRas', 'Расходование финансовых и материальных средств',
        parent='volume',
    ),
    link(
        "BUD010", 'finPlanDocLink', 'План ФХД или бюджетная смета (эл. документ)',
    ),
))
