"""«Образование» — order 1493 п.10, MR v9 /sveden/education."""

from checks.declare import order_1493, ALL_TYPES, OrgType, Section, bind, link, text

SECTION = Section(
    slug='education',
    code='EDU',
    legal=(order_1493('п.10'),),
)

RULES = bind(SECTION, (
    text(
        "EDU001", 'copy', 'Наличие версии для слабовидящих (на главной странице сайта и в каждом подразделе)',
        optional=True,
        repealed="п.21 Требований (версия для слабовидящих) признан утратившим силу приказом Рособрнадзора № 1353 от 03.07.2025",
        note="MR v9: 'Данное требование действует до 01.09.2025'; п.21 Требований 1493 признан утратившим силу приказом 1353 (п.7 изменений)",
    ),
    text(
        "EDU002", 'eduAccred', 'Главный тег. Реализуемые уровни образования, формы обучения, нормативные сроки (строка на программу)',
    ),
    text(
        "EDU003", 'eduCode', 'Код/шифр профессии, специальности, направления, научной специальности',
        parent='eduAccred',
        optional=True,
        applies_note='professional (СПО/ВО/аспирантура) programs',
    ),
    text(
        "EDU004", 'eduName', 'Наименование профессии/специальности/направления; для общеобразовательных программ — наименование программы',
        parent='eduAccred',
    ),
    text(
        "EDU005", 'eduProf', 'Образовательная программа',
        parent='eduAccred',
    ),
    text(
        "EDU006", 'eduLevel', 'Уровень образования',
        parent='eduAccred',
    ),
    text(
        "EDU007", 'eduForm', 'Форма обучения',
        parent='eduAccred',
        applies_to=frozenset(ALL_TYPES - {OrgType.kindergarten}),
        applies_note='не для программ дошкольного образования (1493 п.10.1)',
        note='1493 п.10.1.б: кроме программ дошкольного образования',
    ),
    text(
        "EDU008", 'learningTerm', 'Нормативный срок обучения',
        parent='eduAccred',
    ),
    text(
        "EDU009", 'eduPred', 'Учебные предметы, курсы, дисциплины (модули)',
        parent='eduAccred',
        applies_to=frozenset(ALL_TYPES - {OrgType.kindergarten}),
        applies_note='не для программ дошкольного образования (1493 п.10.1)',
        note='не для программ дошкольного образования (1493 п.10.1)',
    ),
    text(
        "EDU010", 'eduPrac', 'Практики',
        parent='eduAccred',
        applies_to=frozenset(ALL_TYPES - {OrgType.kindergarten}),
        applies_note='не для программ дошкольного образования (1493 п.10.1)',
        note='не для программ дошкольного образования',
    ),
    link(
        "EDU011", 'accreditationDocLink', 'О наличии или об отсутствии государственной аккредитации образовательной деятельности по реализуемым образовательным программам (выписка из реестра организаций, осуществляющих образовательную деятельность по имеющим государственную аккредитацию образовательным программам)',
        applies_to=frozenset({OrgType.school, OrgType.college, OrgType.university}),
        applies_note='all except programmes without state accreditation: preschool-only, aspirantura, FGOS for intellectual disability, professional training-only, additional programmes-only',
        note='order 1353 adds 1493 п.10.1«д» from 01.03.2026 (MR v9: here from 01.09.2025); where there is no accreditation the text «отсутствует»',
    ),
    link(
        "EDU012", 'languageEl', 'Языки образования (эл. документ)',
    ),
    link(
        "EDU013", 'eduChislenEl', 'Численность обучающихся по источникам финансирования, в т.ч. иностранцев (эл. документ)',
    ),
    link(
        "EDU014", 'eduPriemEl', 'Результаты приема (эл. документ)',
        applies_to=frozenset({OrgType.college, OrgType.university}),
        applies_note='СПО (при вступительных испытаниях), ВО, аспирантура',
    ),
    link(
        "EDU015", 'eduPerevodEl', 'Результаты перевода, восстановления, отчисления (эл. документ)',
    ),
    text(
        "EDU016", 'eduOp', 'Главный тег. Образовательная программа, в т.ч. адаптированная (строка на программу и форму)',
    ),
    text(
        "EDU017", 'eduCode', 'Код, шифр',
        parent='eduOp',
        optional=True,
        applies_note='professional programs',
    ),
    text(
        "EDU018", 'eduName', 'Наименование профессии/специальности/направления/группы научных специальностей',
        parent='eduOp',
    ),
    text(
        "EDU019", 'eduLevel', 'Уровень образования',
        parent='eduOp',
    ),
    text(
        "EDU020", 'eduProf', 'Программа, направленность, профиль',
        parent='eduOp',
    ),
    text(
        "EDU021", 'eduForm', 'Реализуемые формы обучения',
        parent='eduOp',
    ),
    link(
        "EDU022", 'opMain', 'Образовательная программа (эл. документ)',
        parent='eduOp',
    ),
    link(
        "EDU023", 'educationPlan', 'Учебный план (эл. документ)',
        parent='eduOp',
    ),
    link(
        "EDU024", 'educationRpd', 'Рабочие программы дисциплин (по каждой) (эл. документ)',
        parent='eduOp',
    ),
    link(
        "EDU025", 'educationShedule', 'Календарный учебный график (эл. документ)',
        parent='eduOp',
        note="spelling 'Shedule' (sic) is the official attribute",
    ),
    link(
        "EDU026", 'eduPr', 'Рабочие программы практик (эл. документ)',
        parent='eduOp',
    ),
    link(
        "EDU027", 'methodology', 'Методические и иные документы, рабочие программы воспитания, календарные планы воспитательной работы',
        parent='eduOp',
    ),
    text(
        "EDU028", 'eduNir', 'Главный тег. Направления и результаты научной деятельности, НИ-база',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU029", 'eduCode', 'Код',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU030", 'eduName', 'Наименование',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU031", 'perechenNir', 'Перечень научных направлений',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU032", 'eduProf', 'Программа, профиль',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU033", 'eduLevel', 'Уровень образования',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU034", 'napravNir', 'Название научного направления/научной школы (только в HTML-примере MR v9, не в таблице 3.5.1)',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU035", 'resultNir', 'Результаты научной деятельности',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU036", 'baseNir', 'Сведения о научно-исследовательской базе',
        parent='eduNir',
        applies_to=frozenset({OrgType.university, OrgType.dpo}),
        applies_note='ВО и организации ДПО (1493 п.10.2)',
    ),
    text(
        "EDU037", 'graduateJob', 'Главный тег. Трудоустройство выпускников прошлого учебного года',
        applies_to=frozenset({OrgType.college, OrgType.university}),
        applies_note='СПО и ВО (1493 п.10.7)',
    ),
    text(
        "EDU038", 'eduCode', 'Код, шифр',
        parent='graduateJob',
        optional=True,
        applies_to=frozenset({OrgType.college, OrgType.university}),
        applies_note='СПО и ВО',
    ),
    text(
        "EDU039", 'eduName', 'Наименование профессии/специальности/направления',
        parent='graduateJob',
        applies_to=frozenset({OrgType.college, OrgType.university}),
        applies_note='СПО и ВО',
    ),
    text(
        "EDU040", 'eduProf', 'Программа, направленность, профиль',
        parent='graduateJob',
        applies_to=frozenset({OrgType.college, OrgType.university}),
        applies_note='СПО и ВО',
    ),
    text(
        "EDU041", 'v1', 'Численность выпускников прошлого учебного года',
        parent='graduateJob',
        applies_to=frozenset({OrgType.college, OrgType.university}),
        applies_note='СПО и ВО',
    ),
    text(
        "EDU042", 't1', 'Численность трудоустроенных выпускников',
        parent='graduateJob',
        applies_to=frozenset({OrgType.college, OrgType.university}),
        applies_note='СПО и ВО',
    ),
))
