"""Where a site keeps «Сведения об образовательной организации»: the subsections a gatherer looks for.

The layout of MR v9 table 3.1 (slug = ``/sveden/<slug>``), the menu titles sites use and the
paths of template platforms (Госвеб). Gatherers find pages by it; audits (``checks/sections``)
judge what is on them and add their codes and legal basis. A new subsection is one line here and
one section module in ``checks/sections``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subsection:
    slug: str
    title: str
    # Phrases (normalized: lower case, «ё»→«е») that a menu link to this subsection starts with.
    link_titles: tuple[str, ...]
    # Path segments that template platforms (Госвеб) use instead of the slug.
    path_aliases: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"/sveden/{self.slug}"


SUBSECTIONS: tuple[Subsection, ...] = (
    Subsection('common', 'Основные сведения', ('основные сведения',), ('osnovnye-svedeniya',)),
    Subsection('struct', 'Структура и органы управления образовательной организацией', ('структура и органы управления',), ('struktura-i-organy-upravleniya',)),
    Subsection('document', 'Документы', ('документы',), ('dokumenty',)),
    Subsection('education', 'Образование', ('образование',), ('obrazovanie',)),
    Subsection('eduStandarts', 'Образовательные стандарты и требования', ('образовательные стандарты',), ('obrazovatelnye-standarty',)),
    Subsection('managers', 'Руководство', ('руководство',), ('rukovodstvo',)),
    Subsection('employees', 'Педагогический состав', ('педагогический состав', 'педагогический (научно-педагогический) состав', 'руководство. педагогический'), ('pedagogicheskiy-sostav', 'pedagogicheskij-sostav')),
    Subsection('objects', 'Материально-техническое обеспечение и оснащенность образовательного процесса. Доступная среда', ('материально-техническое обеспечение', 'доступная среда'), ('materialno-tehnicheskoe-obespechenie', 'materialno-tekhnicheskoe-obespechenie')),
    Subsection('grants', 'Стипендии и меры поддержки обучающихся', ('стипендии',), ('stipendii',)),
    Subsection('paid_edu', 'Платные образовательные услуги', ('платные образовательные услуги',), ('platnye-obrazovatelnye-uslugi',)),
    Subsection('budget', 'Финансово-хозяйственная деятельность', ('финансово-хозяйственная деятельность',), ('finansovo-hozyaystvennaya-deyatelnost', 'finansovo-khozyaystvennaya-deyatelnost')),
    Subsection('vacant', 'Вакантные места для приема (перевода) обучающихся', ('вакантные места',), ('vakantnye-mesta',)),
    Subsection('inter', 'Международное сотрудничество', ('международное сотрудничество',), ('mezhdunarodnoe-sotrudnichestvo',)),
    Subsection('catering', 'Организация питания в образовательной организации', ('организация питания',), ('organizatsiya-pitaniya',)),
)

BY_SLUG: dict[str, Subsection] = {s.slug: s for s in SUBSECTIONS}
