"""The one set of test data factories (the Indico fixture idea).

``gen_x(parent, **fields)`` builds one row through the operation the API uses, each field
defaulted with ``setdefault`` so a test names only what it is about; the scenario builders
(``make_room``, ``month_setting``, ``presentiel_march``…) compose them. One module per area;
import everything from here: ``from tests.factories import gen_slot, make_room``.
"""

from tests.factories.accounts import PASSWORD, csrf_form, gen_org, gen_user, token_for
from tests.factories.billing import ISSUED, presentiel_march
from tests.factories.contract import (
    AFTERNOON_UTC,
    MORNING_UTC,
    enrol,
    gen_composante,
    gen_pathway,
    gen_purchase_order,
    gen_room,
    gen_slot,
    gen_trainee,
    half_day,
    order_with,
    validated_slot,
)
from tests.factories.hours import gen_correction
from tests.factories.images import signature_data_url, signature_png, tiny_pdf, tiny_png
from tests.factories.months import (
    APRIL,
    MARCH,
    MonthSetting,
    mark_month_validated,
    month_setting,
    synchronise_month,
    validate_month,
)
from tests.factories.privacy import MARCH_2018, Archive, make_archive
from tests.factories.reports import march_group
from tests.factories.signing import (
    SLOT_START,
    Group,
    Room,
    bind_phone,
    gen_emargement,
    gen_short_code,
    gen_slot_code,
    make_group,
    make_room,
)

__all__ = [
    "AFTERNOON_UTC",
    "APRIL",
    "ISSUED",
    "MARCH",
    "MARCH_2018",
    "MORNING_UTC",
    "PASSWORD",
    "SLOT_START",
    "Archive",
    "Group",
    "MonthSetting",
    "Room",
    "bind_phone",
    "csrf_form",
    "enrol",
    "gen_composante",
    "gen_correction",
    "gen_emargement",
    "gen_org",
    "gen_pathway",
    "gen_purchase_order",
    "gen_room",
    "gen_short_code",
    "gen_slot",
    "gen_slot_code",
    "gen_trainee",
    "gen_user",
    "half_day",
    "make_archive",
    "make_group",
    "make_room",
    "march_group",
    "mark_month_validated",
    "month_setting",
    "order_with",
    "presentiel_march",
    "signature_data_url",
    "signature_png",
    "synchronise_month",
    "tiny_pdf",
    "tiny_png",
    "token_for",
    "validate_month",
    "validated_slot",
]
