"""The OpenAPI schema says what the service answers, in terms a generated client can use,
and stays a superset of the public contract (/work/shared/API.md, kept in docs/)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import Cast, make_space, make_thread

METHODS = {"get", "post", "put", "patch", "delete"}

# The operation ids clients are generated with: renaming one breaks their code, so a
# change here is a change of the public interface, made on purpose.
OPERATION_IDS = {
    ("POST", "/api/auth/register"): "register",
    ("POST", "/api/auth/login"): "login",
    ("GET", "/api/auth/rules"): "rules",
    ("POST", "/api/auth/logout"): "logout",
    ("GET", "/api/me"): "me",
    ("GET", "/api/session"): "session",
    ("GET", "/api/users/{user_id}"): "get_user",
    ("PATCH", "/api/users/{user_id}"): "update_user",
    # attention: handles, notifications, watching, read positions
    ("PATCH", "/api/me"): "update_me",
    ("GET", "/api/users"): "find_users",
    ("GET", "/api/notifications"): "list_notifications",
    ("GET", "/api/notifications/{notification_id}"): "get_notification",
    ("POST", "/api/notifications/{notification_id}/read"): "read_one",
    ("POST", "/api/notifications/read-all"): "read_all",
    ("GET", "/api/me/unread"): "unread",
    ("GET", "/api/me/watching"): "watching",
    ("POST", "/api/threads/{thread_id}/read"): "read_thread",
    ("GET", "/api/threads/{thread_id}/watch"): "thread_level",
    ("PUT", "/api/threads/{thread_id}/watch"): "set_thread_level",
    ("GET", "/api/spaces/{slug}/watch"): "space_level",
    ("PUT", "/api/spaces/{slug}/watch"): "set_space_level",
    ("GET", "/api/me/mail"): "mail_settings",
    ("PUT", "/api/me/mail"): "change_mail_settings",
    ("GET", "/api/mail/unsubscribe"): "unsubscribe_page",
    ("POST", "/api/mail/unsubscribe"): "unsubscribe",
    ("POST", "/api/spaces"): "create_space",
    ("GET", "/api/spaces"): "list_spaces",
    ("GET", "/api/spaces/{slug}"): "get_space",
    ("PUT", "/api/spaces/{slug}/moderators"): "set_moderators",
    ("POST", "/api/spaces/{slug}/threads"): "open_thread",
    ("GET", "/api/spaces/{slug}/threads"): "list_threads",
    ("GET", "/api/threads/{thread_id}"): "get_thread",
    ("PATCH", "/api/threads/{thread_id}"): "update_thread",
    ("POST", "/api/threads/{thread_id}/posts"): "create_post",
    ("GET", "/api/threads/{thread_id}/posts"): "list_posts",
    ("GET", "/api/posts/{post_id}"): "get_post",
    ("PATCH", "/api/posts/{post_id}"): "edit_post",
    ("DELETE", "/api/posts/{post_id}"): "delete_post",
    ("GET", "/api/posts/{post_id}/revisions"): "list_revisions",
    ("POST", "/api/spaces/{slug}/cafes"): "create_cafe",
    ("GET", "/api/spaces/{slug}/cafes"): "list_cafes",
    ("GET", "/api/cafes/{cafe_id}"): "get_cafe",
    ("POST", "/api/cafes/{cafe_id}/join"): "join_cafe",
    ("POST", "/api/cafes/{cafe_id}/rounds"): "start_round",
    ("POST", "/api/cafes/{cafe_id}/announce"): "announce",
    ("POST", "/api/cafes/{cafe_id}/close"): "close_cafe",
    ("POST", "/api/cafes/{cafe_id}/rounds/extend"): "extend_cafe_round",
    ("GET", "/api/tables/{table_id}"): "get_table",
    ("POST", "/api/tables/{table_id}/messages"): "post_message",
    ("GET", "/api/tables/{table_id}/messages"): "list_messages",
    ("PUT", "/api/tables/{table_id}/harvest"): "set_harvest",
    ("POST", "/api/spaces/{slug}/roundtables"): "open_roundtable",
    ("GET", "/api/spaces/{slug}/roundtables"): "list_roundtables",
    ("GET", "/api/roundtables/{roundtable_id}"): "get_roundtable",
    ("POST", "/api/roundtables/{roundtable_id}/requests"): "request_floor",
    ("POST", "/api/roundtables/{roundtable_id}/withdraw"): "withdraw_request",
    ("POST", "/api/roundtables/{roundtable_id}/floor"): "give_floor",
    ("POST", "/api/roundtables/{roundtable_id}/move"): "move_request",
    ("POST", "/api/roundtables/{roundtable_id}/skip"): "skip_request",
    ("POST", "/api/roundtables/{roundtable_id}/end-turn"): "end_turn",
    ("POST", "/api/roundtables/{roundtable_id}/close"): "close_roundtable",
    ("PUT", "/api/interventions/{intervention_id}/summary"): "set_summary",
    ("PUT", "/api/interventions/{intervention_id}/attribution"): "set_attribution",
    ("POST", "/api/spaces/{slug}/polls"): "create_poll",
    ("GET", "/api/spaces/{slug}/polls"): "list_polls",
    ("GET", "/api/polls/{poll_id}"): "get_poll",
    ("PUT", "/api/polls/{poll_id}/response"): "answer_poll",
    ("GET", "/api/polls/{poll_id}/results"): "poll_results",
    ("POST", "/api/spaces/{slug}/report"): "build_report",
    ("GET", "/api/spaces/{slug}/report"): "get_report",
    ("PUT", "/api/spaces/{slug}/report"): "edit_report",
    ("GET", "/api/spaces/{slug}/report/revisions"): "list_report_revisions",
    ("GET", "/api/spaces/{slug}/report.md"): "report_markdown",
    ("GET", "/api/spaces/{slug}/report.docx"): "report_docx",
    ("POST", "/api/spaces/{slug}/report/publish"): "publish_report",
    ("GET", "/api/moderation/queue"): "moderation_queue",
    ("GET", "/api/moderation/queue/count"): "moderation_queue_count",
    ("GET", "/api/moderation/log"): "moderation_log",
    ("GET", "/api/moderation/log/{entry_id}"): "moderation_log_entry",
    ("POST", "/api/posts/{post_id}/approve"): "approve_post",
    ("POST", "/api/posts/{post_id}/reject"): "reject_post",
    ("POST", "/api/posts/{post_id}/hide"): "hide_post",
    ("POST", "/api/posts/{post_id}/unhide"): "unhide_post",
    ("POST", "/api/posts/{post_id}/flags"): "flag_post",
    ("POST", "/api/posts/{post_id}/flags/dismiss"): "dismiss_flags",
    ("GET", "/api/users/{user_id}/standing"): "user_standing",
    ("POST", "/api/users/{user_id}/silence"): "silence_user",
    ("DELETE", "/api/users/{user_id}/silence"): "unsilence_user",
    ("POST", "/api/users/{user_id}/suspend"): "suspend_user",
    ("DELETE", "/api/users/{user_id}/suspend"): "unsuspend_user",
    ("POST", "/api/table-messages/{message_id}/hide"): "hide_table_message",
    ("POST", "/api/table-messages/{message_id}/unhide"): "unhide_table_message",
    ("GET", "/health"): "health",
    ("GET", "/ready"): "ready",
    ("GET", "/metrics"): "metrics",
    ("GET", "/api/search"): "search",
}


@pytest.fixture
async def schema(client: AsyncTestClient) -> dict[str, Any]:
    resp = await client.get("/schema/openapi.json")
    assert resp.status_code == 200
    assert resp.json() == (await client.get("/schema")).json()
    return resp.json()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


async def test_operation_ids_are_stable_and_tags_ascii(schema: dict[str, Any]) -> None:
    found = {(method, path): op["operationId"] for method, path, op in operations(schema)}
    assert found == OPERATION_IDS
    for _, _, op in operations(schema):
        assert op.get("tags") and all(tag.isascii() for tag in op["tags"]), op.get("tags")
    assert "cafes" in {tag for _, _, op in operations(schema) for tag in op.get("tags", [])}


async def test_component_names_do_not_carry_module_paths(schema: dict[str, Any]) -> None:
    for name in schema["components"]["schemas"]:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name), name
    assert "PostOutList" in schema["components"]["schemas"]


async def test_errors_are_problems_with_the_statuses_each_operation_answers(schema: dict[str, Any]) -> None:
    problem = schema["components"]["schemas"]["Problem"]
    assert {"status", "title", "detail", "code"} <= set(problem["required"])
    for method, path, op in operations(schema):
        responses = op["responses"]
        errors = {int(code) for code in responses if int(code) >= 400}
        for code in errors - ({503} if path == "/health" else set()):
            content = responses[str(code)]["content"]
            assert list(content) == ["application/problem+json"], (method, path, code)
            assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
        if path.startswith("/api"):
            assert {400, 429, 503} <= errors, (method, path)
            assert ("{" not in path) or 404 in errors, (method, path)
            security = op.get("security")
            assert security, f"{method} {path} does not say whether it needs a token"
            if {} not in security:
                assert {401, 403} <= errors, (method, path)
            if "requestBody" in op:
                assert {413, 415} <= errors, (method, path)
            if method != "GET":
                assert {403, 409, 422} <= errors, (method, path)
    assert "401" in schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert "429" in schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert "Retry-After" in schema["paths"]["/api/auth/login"]["post"]["responses"]["429"]["headers"]
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "session"}


async def test_a_repeated_client_id_is_documented_as_200_with_the_first_object(
    schema: dict[str, Any],
) -> None:
    for path, component in [
        ("/api/threads/{thread_id}/posts", "PostOut"),
        ("/api/spaces/{slug}/threads", "ThreadOut"),
        ("/api/tables/{table_id}/messages", "MessageOut"),
    ]:
        responses = schema["paths"][path]["post"]["responses"]
        for status in ("200", "201"):
            body = responses[status]["content"]["application/json"]["schema"]
            assert body == {"$ref": f"#/components/schemas/{component}"}, (path, status, body)
    assert "content" not in schema["paths"]["/api/auth/logout"]["post"]["responses"]["204"]


async def test_request_bodies_allow_no_other_property(schema: dict[str, Any]) -> None:
    checked = 0
    for method, path, op in operations(schema):
        if "requestBody" not in op:
            continue
        stack = [op["requestBody"]["content"]["application/json"]["schema"]]
        while stack:
            node = stack.pop()
            if "$ref" in node:
                node = resolve(schema, node)
            if node.get("type") == "object":
                assert node.get("additionalProperties") is False, (method, path, node.get("title"))
                checked += 1
                stack += list(node.get("properties", {}).values())
            stack += node.get("oneOf", []) + node.get("anyOf", [])
            if isinstance(node.get("items"), dict):
                stack.append(node["items"])
    assert checked > 20


async def test_every_integer_a_request_sends_is_bounded(schema: dict[str, Any]) -> None:
    """Whole numbers beyond what a column holds never reach SQL: the schema says the bounds.

    `after` is a position: past the last number there is nothing, so it is clamped instead."""
    for method, path, op in operations(schema):
        for parameter in op.get("parameters", []):
            node = parameter["schema"]
            assert "oneOf" not in node or parameter["in"] == "header", (method, path, parameter["name"])
            if node.get("type") == "integer" and parameter["name"] != "after":
                assert "minimum" in node and "maximum" in node, (method, path, parameter["name"])
        if parameter_limit := [p for p in op.get("parameters", []) if p["name"] == "limit"]:
            assert (parameter_limit[0]["schema"]["minimum"], parameter_limit[0]["schema"]["maximum"]) == (
                1,
                100,
            )
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("In"):
            continue
        for field, node in component.get("properties", {}).items():
            types = {node.get("type")} | {o.get("type") for o in node.get("oneOf", [])}
            if "integer" in types:
                assert "minimum" in node and "maximum" in node, (name, field)
            items = node.get("items", {})
            if items.get("type") == "integer":
                assert "minimum" in items and "maximum" in items, (name, field)


async def test_metrics_are_documented_as_text(schema: dict[str, Any]) -> None:
    ok = schema["paths"]["/metrics"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/plain"]
    assert "503" in schema["paths"]["/health"]["get"]["responses"]


async def test_options_lists_every_method_of_the_path(app: Litestar, client: AsyncTestClient) -> None:
    checked = 0
    for route in app.routes:
        methods = set(getattr(route, "methods", set()))
        if not route.path.startswith("/api") or not methods:
            continue
        path = re.sub(r"\{\w+:int\}", "1", route.path).replace("{slug:str}", "agora")
        resp = await client.options(path)
        assert resp.status_code == 204, (path, resp.text)
        assert set(resp.headers["allow"].split(", ")) == methods, path
        checked += 1
    assert checked > 30
    resp = await client.options("/api/spaces")
    assert resp.headers["allow"] == "GET, OPTIONS, POST"


# --- a superset of the public contract --------------------------------------------------

# The contract lives in shared/, beside the repository's checkout (CI lays it there too).
CONTRACTS = [Path(__file__).resolve().parents[3] / "shared" / "API.md", Path("/work/shared/API.md")]
RESOURCES = {
    "User": "UserOut",
    "Space": "SpaceOut",
    "Thread": "ThreadOut",
    "Post": "PostOut",
    "Café": "CafeOut",
    "Table": "TableOut",
    "Message": "MessageOut",
}


def _contract() -> str:
    for path in CONTRACTS:
        if path.is_file():
            return path.read_text()
    pytest.skip("the public contract API.md is not on this machine")


async def test_the_schema_is_a_superset_of_the_contract(schema: dict[str, Any]) -> None:
    text = _contract()
    documented = {(method, path) for method, path, _ in operations(schema)}
    calls = set(
        re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE)(?:/(?:GET|POST|PUT|PATCH|DELETE))*) (/[^ `?]+)", text)
    )
    assert len(calls) > 25
    for methods, raw in calls:
        pattern = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", r"\\{[^}]+\\}", re.escape(raw)) + "$")
        for method in methods.split("/"):
            if raw == "/ws":
                continue
            assert any(m == method and pattern.match(p) for m, p in documented), (method, raw)
    for resource, component in RESOURCES.items():
        found = re.search(rf"(?:^|\s){resource}: `\{{(.+?)\}}`", text, re.MULTILINE | re.DOTALL)
        assert found, resource
        fields = {f.split(":")[0].strip() for f in re.split(r",\s*(?![^{]*\})", found[1])}
        properties = set(schema["components"]["schemas"][component]["properties"])
        assert fields <= properties, (resource, fields - properties)


async def test_the_documented_answers_are_what_the_service_sends(client: AsyncTestClient, cast: Cast) -> None:
    """A few answers checked against the schema by hand (schemathesis checks them all)."""
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    first = await client.post(
        f"/api/threads/{thread['id']}/posts",
        json={"body": "x", "client_id": "c1"},
        headers=cast.observer.headers,
    )
    again = await client.post(
        f"/api/threads/{thread['id']}/posts",
        json={"body": "x", "client_id": "c1"},
        headers=cast.observer.headers,
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    resp = await client.post(
        "/api/auth/login", json={"email": "no@example.org", "password": "wrong password"}
    )
    assert resp.status_code == 401 and resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "unauthorized"
