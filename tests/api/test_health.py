from fastapi.testclient import TestClient


def test_health_ready_openapi_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    assert client.get("/openapi.json").json()["info"]["title"] == "Tally"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and "tally_http_requests_total" in metrics.text


def test_unknown_route_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["code"] == "not_found" and body["type"].endswith("not_found")
