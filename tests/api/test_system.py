"""/healthz and /metrics."""

from __future__ import annotations


def test_metrics_count_requests_by_route_template_and_report_store_gauges(client, seeded, as_key):
    client.get(f"/api/v1/events/{seeded.north_event}", headers=as_key("viewer"))
    client.get("/api/v1/events", headers=as_key("viewer"))
    text = client.get("/metrics").text
    assert 'route="/api/v1/events/{event_id}"' in text and seeded.north_event not in text
    assert 'sitewatch_http_requests_total{method="GET",route="/api/v1/events",status="200"}' in text
    assert 'sitewatch_events{status="open",type="no_helmet"} 3.0' in text
    assert "sitewatch_store_buffered_changes 0.0" in text


def test_openapi_documents_every_route_and_the_error_shape(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/events/{event_id}/snapshot" in spec["paths"]
    assert "ErrorOut" in spec["components"]["schemas"]
    events_get = spec["paths"]["/api/v1/events"]["get"]
    assert {"401", "403", "422"} <= set(events_get["responses"])


def test_healthz_answers_head_for_load_balancers(client):
    response = client.head("/healthz")
    assert response.status_code == 200 and response.content == b""
