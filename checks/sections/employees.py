"""«Педагогический состав» — order 1493 п.12 (в ред. 1353), MR v9 /sveden/employees."""

from checks.declare import Example, Status, order_1493, Section, bind, text

SECTION = Section(
    slug='employees',
    code='EMP',
    legal=(order_1493('п.12', amended_by='1353'),),
)

RULES = bind(SECTION, (
    text(
        "EMP001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "EMP002", 'teachingStaff', 'Главный тег. Педагогический работник (строка; таблица по каждой образовательной программе)',
        note='Since 01.03.2026 (order 1353, п.12) the staff may be published per educational programme as an electronic document or as active links; MR v9 predates this and names no attribute for it. A subsection that publishes per-programme documents or links without teachingStaff markup is a case for needs_review, not fail.',
        alt_documents="с 01.03.2026 (приказ № 1353, п.12) состав можно публиковать по каждой образовательной программе электронным документом или активными ссылками",
        examples=(
            Example('<table><tr itemprop="teachingStaff"><td itemprop="fio">Иванова Анна Петровна</td></tr></table>', Status.passed, "состав размечен построчно"),
            Example('<ul><li><a href="/docs/sostav-noo.pdf">Начальное общее образование</a></li><li><a href="/docs/sostav-ooo.pdf">Основное общее образование</a></li></ul>',
                    Status.needs_review, "состав по каждой программе документами без разметки (приказ № 1353, п.12): смотрит человек"),
            Example('<table><tr itemprop="TeachingStaff"><td itemprop="fio">Иванова Анна Петровна</td></tr></table>', Status.fail, "устаревшее написание главного тега"),
        ),
    ),
    text(
        "EMP003", 'fio', 'ФИО',
        parent='teachingStaff',
    ),
    text(
        "EMP004", 'post', 'Занимаемая должность',
        parent='teachingStaff',
    ),
    text(
        "EMP005", 'teachingDiscipline', 'Преподаваемые предметы, курсы, дисциплины',
        parent='teachingStaff',
    ),
    text(
        "EMP006", 'teachingLevel', 'Уровень(и) профобразования, направление/специальность, квалификация',
        parent='teachingStaff',
    ),
    text(
        "EMP007", 'degree', 'Ученая степень (при наличии)',
        parent='teachingStaff',
        optional=True,
    ),
    text(
        "EMP008", 'academStat', 'Ученое звание (при наличии)',
        parent='teachingStaff',
        optional=True,
    ),
    text(
        "EMP009", 'qualification', 'Повышение квалификации (за 3 года)',
        parent='teachingStaff',
        optional=True,
    ),
    text(
        "EMP010", 'profDevelopment', 'Профессиональная переподготовка (при наличии)',
        parent='teachingStaff',
        optional=True,
    ),
    text(
        "EMP011", 'specExperience', 'Опыт работы (лет) в профессиональной сфере',
        parent='teachingStaff',
    ),
    text(
        "EMP012", 'teachingOp', 'Образовательные программы, в реализации которых участвует',
        parent='teachingStaff',
    ),
))
