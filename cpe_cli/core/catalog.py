"""The closed vocabularies a CPE record is written in, kept as data.

Every list here comes from a public source (see ``../shared/domain.md``) and
carries it, so that when a board or NASBA changes a list the edit is to data,
not to branching code. Matching user input against these lists lives in
``matching.py``.
"""

from __future__ import annotations

from collections import namedtuple
from decimal import Decimal

FIELDS_SOURCE = "https://www.nasbaregistry.org/registry-forms--policies/fields-of-study (as of 2026-11)"
# The 13/7 technical split. The Maryland board page cited here before lists the
# pre-2016 fields and is no source for it (../shared/domain.md, end of "Requirements").
FIELD_GROUPS_SOURCE = (
    'NASBA, "Fields of Study That Qualify for CPE" (January 2024) ; NASBA Georgia CPE requirements page '
    "(rev. 2024-01-03) (as of 2026-11)"
)
DELIVERY_SOURCE = (
    "https://nasbaregistry.org/reviewer-program ; Statement on Standards for CPE Programs, 2024 ed. (as of 2026-11)"
)
CREDIT_SOURCE = (
    "https://nasbaregistry.org/what-sponsors-need-to-know/"
    "wondered-determine-increment-continuing-professional-education-cpe-credits-use-providing-credits-learners"
    " ; 22 TAC 523.142 ; https://www.nasbaregistry.org/the-standards ; "
    "https://nasba.org/blog/2016/08/31/cpe-standards-revisions-approved/ (as of 2026-11)"
)
# The edition every increment rule below comes from. A revised Statement was
# approved in 2026 and phases in (2026-08-01 new delivery-method applications,
# 2027-03-01 programs first published, 2028-11-01 all programs); its exposure
# draft let group programs start at half a credit and self study at a fifth.
# Until its final text is read, these increments stay warnings, never refusals.
STANDARDS_EDITION = "Statement on Standards for CPE Programs, 2016 edition as revised through 2024"
STANDARDS_EDITION_SHORT = "2016-2024 NASBA Standards"
STANDARDS_NEXT = ("a revised Statement approved in 2026 phases in from 2026-08-01 (all programs by 2028-11-01); "
                  "its increments are not applied yet")
JURISDICTIONS_SOURCE = "https://us.aicpa.org/advocacy/state/stateboardsofaccountancypage.html (as of 2026-11)"


class FieldOfStudy(namedtuple("FieldOfStudy", "name technical aliases", defaults=((),))):
    """A NASBA field of study: its name, whether it is technical, other names it goes by.

    A named tuple, not a dataclass: the catalog is read by every command and every TAB, and
    ``dataclasses`` (with ``inspect``) costs ~15 ms at start-up (issue 14).
    """

    __slots__ = ()


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
    FieldOfStudy("Information Technology", True, ("IT",)),
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

# Names for sets of fields that board rules and certificates use: --field ethics means both ethics fields.
FIELD_GROUPS: dict[str, tuple[str, ...]] = {
    "ethics": ("Behavioral Ethics", "Regulatory Ethics"),
    "technical": tuple(f.name for f in FIELDS_OF_STUDY if f.technical),
    "non-technical": tuple(f.name for f in FIELDS_OF_STUDY if not f.technical),
}


class DeliveryMethod(namedtuple("DeliveryMethod", "name aliases minimum exact increments below_one standard",
                                 defaults=((), None, None, None, None, None))):
    """A NASBA delivery method and the credit increments its Standards allow.

    ``minimum`` is the smallest credit a program may award, ``exact`` a value a
    program must award (Nano Learning), ``increments`` the fractional parts
    allowed after the first credit, and ``below_one`` the only values allowed
    under one full credit (QAS Self Study: 0.5); None means the Standards set
    none. ``standard`` names the edition the rule comes from, because the
    increments change with the 2026 edition (STANDARDS_NEXT).
    """

    __slots__ = ()


# After the first credit, one-fifth or one-half increments (CREDIT_SOURCE,
# STANDARDS_EDITION): x.0, x.2, x.4, x.5, x.6, x.8.
_FIFTHS_OR_HALVES = frozenset(Decimal(x) for x in ("0", "0.2", "0.4", "0.5", "0.6", "0.8"))
_ONE = Decimal("1.0")

DELIVERY_METHODS: tuple[DeliveryMethod, ...] = (
    # Group programs: at least 1 credit, then fifths or halves.
    DeliveryMethod("Group Live", ("Group-Live", "GL", "Live", "In Person", "Classroom"),
                   minimum=_ONE, increments=_FIFTHS_OR_HALVES, standard=STANDARDS_EDITION),
    DeliveryMethod("Group Internet Based", ("Group-Internet Based", "Group-Internet-Based", "Webinar",
                                            "Group Internet", "GIB"),
                   minimum=_ONE, increments=_FIFTHS_OR_HALVES, standard=STANDARDS_EDITION),
    # QAS Self Study: at least 0.5; fifths or halves only after the first full
    # credit, so 0.5 is the one value below 1 (0.6 is not a 2016-2024 increment).
    DeliveryMethod("QAS Self Study", ("Self Study", "Self-Study", "QAS Self-Study", "QAS"),
                   minimum=Decimal("0.5"), increments=_FIFTHS_OR_HALVES, below_one=frozenset({Decimal("0.5")}),
                   standard=STANDARDS_EDITION),
    DeliveryMethod("Blended Learning", ("Blended", "BL"), minimum=_ONE, increments=_FIFTHS_OR_HALVES,
                   standard=STANDARDS_EDITION),
    # Nano Learning: exactly 0.2 per program.
    DeliveryMethod("Nano Learning", ("Nano", "Nano-Learning", "NanoLearning"), exact=Decimal("0.2"),
                   standard=STANDARDS_EDITION),
    # Independent Study: the 2016 Standards treat it like group programs.
    DeliveryMethod("Independent Study", ("Independent-Study",), minimum=_ONE, increments=_FIFTHS_OR_HALVES,
                   standard=STANDARDS_EDITION),
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
