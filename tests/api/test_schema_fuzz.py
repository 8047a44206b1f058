"""Property-based run over the OpenAPI schema (schemathesis + hypothesis): no request gets a 5xx.

Each operation's strategy is driven by hypothesis directly (rather than through
schemathesis' pytest plugin) so that it runs over this test's own seeded store.
Valid and invalid inputs are both generated; a second valid pass pins the path
ids to real objects so that handlers run past their lookups.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from sitewatch.store.models import Delivery
from sitewatch.store.types import utc_now

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode

EXAMPLES_PER_OPERATION = 20


def _dead_delivery(store, event_id: str) -> int:
    with store.session() as session, session.begin():
        now = utc_now()
        delivery = Delivery(
            target="webhook:fuzz",
            channel="webhook",
            outbox_seq=1,
            event_id=event_id,
            site_id="north",
            status="dead",
            attempts=1,
            next_attempt_at=now,
            age_from=now,
        )
        session.add(delivery)
        session.flush()
        return delivery.id


def _property_for(operation, mode, path_parameters, headers):
    """A hypothesis test of one operation: every generated request gets a non-5xx, well-shaped answer."""

    @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            assert set(response.json()) == {"error"}, (operation.label, response.text)

    return check


@pytest.mark.parametrize(
    ("mode", "real_ids"),
    [(GenerationMode.POSITIVE, False), (GenerationMode.NEGATIVE, False), (GenerationMode.POSITIVE, True)],
    ids=["valid", "invalid", "valid-real-ids"],
)
def test_no_request_gets_a_server_error(app, store, seeded, keys, mode, real_ids):
    # The live stream never ends by design; test_stream.py covers it.
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).exclude(path="/api/v1/events/stream")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    headers = {"X-API-Key": keys["admin"]}  # all sites: requests get past auth into every handler
    delivery_id = _dead_delivery(store, seeded.north_event) if real_ids else None

    for operation in operations:
        path_parameters = None
        if real_ids:
            names = {p.name for p in operation.path_parameters}
            if not names:
                continue
            path_parameters = (
                {"event_id": seeded.north_event} if "event_id" in names else {"delivery_id": delivery_id}
            )

        check = _property_for(operation, mode, path_parameters, headers)
        try:
            check()
        except Unsatisfiable:
            # an operation without parameters or body has no invalid input to generate
            assert mode is GenerationMode.NEGATIVE and not operation.path_parameters and not operation.query
