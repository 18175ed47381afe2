"""The closed vocabularies a CPE record is written in, kept as data.

Every list here comes from a public source (see ``../shared/domain.md``) and
carries it, so that when a board or NASBA changes a list the edit is to data,
not to branching code. Matching user input against these lists lives in
``matching.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FIELDS_SOURCE = "https://www.nasbaregistry.org/registry-forms--policies/fields-of-study (as of 2026-11)"
FIELD_GROUPS_SOURCE = "https://dllr.state.md.us/license/cpa/cpaconteduc.shtml (as of 2026-11)"
DELIVERY_SOURCE = (
    "https://nasbaregistry.org/reviewer-program ; Statement on Standards for CPE Programs, 2024 ed. (as of 2026-11)"
)
CREDIT_SOURCE = (
    "https://nasbaregistry.org/what-sponsors-need-to-know/"
    "wondered-determine-increment-continuing-professional-education-cpe-credits-use-providing-credits-learners"
    " ; 22 TAC 523.142 (as of 2026-11)"
)
JURISDICTIONS_SOURCE = "https://us.aicpa.org/advocacy/state/stateboardsofaccountancypage.html (as of 2026-11)"


@dataclass(frozen=True)
class FieldOfStudy:
    name: str
    technical: bool
    aliases: tuple[str, ...] = ()


# The 20 NASBA fields, alphabetical as users see them. The technical split is
# kept here because compliance rules cap non-technical hours.
FIELDS_OF_STUDY: tuple[FieldOfStudy, ...] = (
    FieldOfStudy("Accounting", True),
    FieldOfStudy("Accounting (Governmental)", True, ("Governmental Accounting",)),
    FieldOfStudy("Auditing", True),
    FieldOfStudy("Auditing (Governmental)", True, ("Governmental Auditing",)),
    FieldOfStudy("Behavioral Ethics", False),
    FieldOfStudy("Business Law", True),
    FieldOfStudy("Business Management & Organization", False, ("Business Management and Organization",)),
    FieldOfStudy("Communications and Marketing", False, ("Communications & Marketing",)),
    FieldOfStudy("Computer Software & Applications", False, ("Computer Software and Applications",)),
    FieldOfStudy("Economics", True),
    FieldOfStudy("Finance", True),
    FieldOfStudy("Information Technology", True),
    FieldOfStudy("Management Services", True, ("Management Advisory Services",)),
    FieldOfStudy("Personal Development", False),
    FieldOfStudy("Personnel/Human Resources", False, ("Personnel Human Resources", "Human Resources", "HR")),
    FieldOfStudy("Production", False),
    FieldOfStudy("Regulatory Ethics", True),
    FieldOfStudy("Specialized Knowledge", True, ("Specialized Knowledge & Applications",
                                                 "Specialized Knowledge and Applications")),
    FieldOfStudy("Statistics", True),
    FieldOfStudy("Taxes", True, ("Taxation", "Tax")),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS_OF_STUDY)
NON_TECHNICAL_FIELDS: frozenset[str] = frozenset(f.name for f in FIELDS_OF_STUDY if not f.technical)


@dataclass(frozen=True)
class DeliveryMethod:
    """A NASBA delivery method and the credit increments its Standards allow.

    ``minimum`` is the smallest credit a program may award, ``exact`` a value a
    program must award (Nano Learning), and ``increments`` the fractional
    parts allowed after the first credit; None means the Standards set none.
    """

    name: str
    aliases: tuple[str, ...] = ()
    minimum: Decimal | None = None
    exact: Decimal | None = None
    increments: frozenset[Decimal] | None = None


# After the first credit, one-fifth or one-half increments (CREDIT_SOURCE).
_FIFTHS_OR_HALVES = frozenset(Decimal(x) for x in ("0", "0.2", "0.4", "0.5", "0.6", "0.8"))

DELIVERY_METHODS: tuple[DeliveryMethod, ...] = (
    DeliveryMethod("Group Live", ("Group-Live", "GL", "Live", "In Person", "Classroom"),
                   minimum=Decimal("1.0"), increments=_FIFTHS_OR_HALVES),
    DeliveryMethod("Group Internet Based", ("Group-Internet Based", "Group-Internet-Based", "Webinar",
                                            "Group Internet", "GIB"),
                   minimum=Decimal("1.0"), increments=_FIFTHS_OR_HALVES),
    DeliveryMethod("QAS Self Study", ("Self Study", "Self-Study", "QAS Self-Study", "QAS"),
                   minimum=Decimal("0.5"), increments=_FIFTHS_OR_HALVES),
    DeliveryMethod("Blended Learning", ("Blended", "BL"), minimum=Decimal("1.0"), increments=_FIFTHS_OR_HALVES),
    DeliveryMethod("Nano Learning", ("Nano", "Nano-Learning", "NanoLearning"), exact=Decimal("0.2")),
    DeliveryMethod("Independent Study", ("Independent-Study",)),
)

DELIVERY_NAMES: tuple[str, ...] = tuple(m.name for m in DELIVERY_METHODS)
DELIVERY_BY_NAME: dict[str, DeliveryMethod] = {m.name: m for m in DELIVERY_METHODS}

# The 55 boards of accountancy: 50 states, DC and four territories.
# American Samoa has no board (JURISDICTIONS_SOURCE).
JURISDICTIONS: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "DC": "District of Columbia", "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands",
    "MP": "Northern Mariana Islands",
}
JURISDICTION_ALIASES: dict[str, str] = {
    "Washington DC": "DC", "Washington D.C.": "DC", "D.C.": "DC",
    "Virgin Islands": "VI", "US Virgin Islands": "VI", "United States Virgin Islands": "VI",
    "Commonwealth of the Northern Mariana Islands": "MP", "CNMI": "MP",
}

SOURCES: tuple[str, ...] = ("external", "lumiq")
SOURCE_LABELS: dict[str, str] = {"external": "External (self-reported)", "lumiq": "Platform courses"}
