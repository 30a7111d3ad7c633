"""What students must never reach: others' files, hidden labels, the private split."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount
from tiny_homework import HW, PUBLIC_MASK, Y_TEST, labels_csv, with_errors
from web_helpers import Service, upload

from practicum.web import routes_api, routes_auth, routes_pages, routes_staff

NPY_MAGIC = b"\x93NUMPY"


def submission_id(service: Service, name: str) -> int:
    answer = TestClient(service.app).post(
        f"/api/homework/{HW}/submissions",
        headers=service.bearer(name),
        files={"file": (f"{name}.csv", labels_csv(with_errors(1)))},
    )
    return int(answer.json()["submission_id"])


def test_students_download_only_their_own_files(
    service: Service, ann: TestClient, bob: TestClient, tara: TestClient
) -> None:
    anns = submission_id(service, "ann")
    bobs = submission_id(service, "bob")
    own = ann.get(f"/submissions/{anns}/file")
    assert own.status_code == 200
    assert own.content == labels_csv(with_errors(1))
    assert own.headers["content-disposition"].startswith('attachment; filename="ann.csv"')
    other = ann.get(f"/submissions/{bobs}/file")
    missing = ann.get("/submissions/999999/file")
    assert other.status_code == missing.status_code == 404  # indistinguishable
    for beyond in (2**63, 0, -1):  # no row can have these ids: not found, never a 500
        assert ann.get(f"/submissions/{beyond}/file").status_code == 404
    assert bob.get(f"/submissions/{bobs}/file").status_code == 200
    assert tara.get(f"/submissions/{anns}/file").status_code == 200  # staff: anyone's


PROBES = [
    "/homework/..%2F..%2Fprivate%2Fhw-tiny%2Fy_test.npy",
    "/homework/..%2F..%2Fprivate",
    "/homework/hw-tiny%2F..%2F..%2Fprivate%2Fhw-tiny/leaderboard",
    "/static/..%2F..%2F..%2F..%2Fprivate%2Fhw-tiny%2Fy_test.npy",
    "/static/%2e%2e/%2e%2e/%2e%2e/private/hw-tiny/public_mask.npy",
    "/submissions/..%2F..%2Fprivate/file",
    "/private/hw-tiny/y_test.npy",
    "/shared/../private/hw-tiny/y_test.npy",
    "/api/homework/..%2F..%2Fprivate/leaderboard",
    "/api/homework/..%2F..%2Fprivate%2Fhw-tiny/spec",
]


@pytest.mark.parametrize("path", PROBES)
def test_hidden_answers_are_reachable_by_no_url(
    service: Service, tara: TestClient, path: str
) -> None:
    for client in (tara, TestClient(service.app, headers=service.bearer("tara"))):
        answer = client.get(path)
        assert answer.status_code in (404, 422), answer.status_code
        assert NPY_MAGIC not in answer.content


def test_every_readable_route_is_one_reviewed_here(service: Service) -> None:
    """Only /static and one's own submissions are served as files; a new GET route must be
    added to this list on purpose, after checking what it reveals to students."""
    mounts = [r.path for r in service.app.routes if isinstance(r, Mount)]
    assert mounts == ["/static/swagger-ui", "/static"]  # the swagger-ui-bundle package's files
    routers = (routes_auth, routes_pages, routes_staff, routes_api)
    readable = {
        r.path
        for module in routers
        for r in module.router.routes
        if isinstance(r, APIRoute) and "GET" in (r.methods or ())
    }
    assert readable == {
        "/",
        "/login",
        "/account",
        "/homework/{homework_id}",
        "/homework/{homework_id}/leaderboard",
        "/submissions/{submission_id}/file",
        "/staff",
        "/staff/gradebook.csv",
        "/api/me",
        "/api/homework/{homework_id}/submissions",
        "/api/homework/{homework_id}/leaderboard",
        "/api/homework/{homework_id}/spec",
        "/api/staff/submissions",
    }


def test_pages_never_show_the_hidden_labels_or_where_they_are(
    service: Service, ann: TestClient, tara: TestClient
) -> None:
    upload(ann, labels_csv(with_errors(1)))
    private_dir = str(service.config.private_dir)
    forms = {
        ",".join(map(str, Y_TEST)),
        " ".join(map(str, Y_TEST)),
        "".join(map(str, Y_TEST)),
        str(Y_TEST.tolist()),
        ",".join(map(str, Y_TEST[~PUBLIC_MASK])),
        "".join(str(int(b)) for b in PUBLIC_MASK),
        str(PUBLIC_MASK.tolist()),
    }
    for client in (ann, tara):
        for path in ("/", f"/homework/{HW}", f"/homework/{HW}/leaderboard", "/staff", "/account"):
            text = client.get(path).text
            assert private_dir not in text, path
            assert not any(form in text for form in forms), path
    spec = TestClient(service.app).get(f"/api/homework/{HW}/spec", headers=service.bearer("ann"))
    assert spec.json() == {
        "kind": "labels",
        "n_items": 20,
        "n_classes": 3,
        "image_shape": None,
        "max_bytes": 20 * 64 + 64 * 2**10,  # the homework's own cap (upload_cap)
    }
