"""REST API: one module per resource, registered on the flask-smorest ``Api``."""

from attendance.api import (
    auth,
    binding_requests,
    compliance,
    composantes,
    corrections,
    devices,
    documents,
    imports,
    invoices,
    months,
    organisation,
    pathways,
    purchase_orders,
    rosters,
    signins,
    slots,
    trainee_data,
    trainees,
)
from attendance.api.common import Hours, Money

BLUEPRINTS = (
    auth.blp,
    organisation.blp,
    purchase_orders.blp,
    composantes.blp,
    trainees.blp,
    pathways.blp,
    slots.blp,
    imports.blp,
    compliance.blp,
    months.blp,
    corrections.blp,
    signins.blp,
    rosters.blp,
    binding_requests.blp,
    devices.blp,
    documents.blp,
    invoices.blp,
    trainee_data.blp,
)


def register_api(api) -> None:
    api.register_field(Hours, "number", None)
    api.register_field(Money, "string", "decimal")
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
