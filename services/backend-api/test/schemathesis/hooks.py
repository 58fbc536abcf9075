"""Schemathesis hooks for test/openapi-conformance.test.ts (SCHEMATHESIS_HOOKS).

Two values that the document allows are valid only by the server's state, which no schema can
state: a `cursor` must be a nextCursor the server issued (an invented one is rightly a 422), and
an Idempotency-Key reused with another body is rightly a 422. In requests meant to be valid, an
invented cursor is dropped and each Idempotency-Key is made new; requests meant to be invalid
keep both as generated, and the route tests cover cursors and replays themselves.

The run signs in as an admin (SCHEMATHESIS_ADMIN_ID): a generated PATCH of that very user (its id
is in GET /api/me's answer, which stateful testing follows) could set a temporary password and
revoke the run's own token, so such a case is pointed at an unknown user instead.

Three more values are valid only by the server's state: an assigneeId must name an active user (the
admin's id is put in), a token's expiresAt must lie in the future (pushed into the next
millennium), and currentPassword must be the admin's (SCHEMATHESIS_ADMIN_PASSWORD, which is then
also the new password, so the run keeps its credentials).
"""

import os
import uuid

import schemathesis


@schemathesis.hook
def map_case(context, case):
    route = (case.operation.method.upper(), case.operation.path)
    if route == ("PATCH", "/api/users/{id}") and case.path_parameters and str(case.path_parameters.get("id", "")).lower() == os.environ.get("SCHEMATHESIS_ADMIN_ID"):
        case.path_parameters["id"] = str(uuid.uuid4())
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    admin = os.environ.get("SCHEMATHESIS_ADMIN_ID")
    if isinstance(case.body, dict):
        if route in (("POST", "/api/tasks"), ("PATCH", "/api/tasks/{id}")) and case.body.get("assigneeId") is not None:
            case.body["assigneeId"] = admin
        patch = case.body.get("patch")
        if route == ("POST", "/api/tasks/bulk") and isinstance(patch, dict) and patch.get("assigneeId") is not None:
            patch["assigneeId"] = admin
        if route == ("POST", "/api/tokens") and "expiresAt" in case.body:
            case.body["expiresAt"] = "2999-01-01T00:00:00Z"
        if route == ("POST", "/api/me/password"):
            case.body["currentPassword"] = case.body["newPassword"] = os.environ.get("SCHEMATHESIS_ADMIN_PASSWORD")
    if route == ("GET", "/api/tasks") and case.query:
        case.query.pop("cursor", None)
    if route == ("POST", "/api/tasks") and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    return case
