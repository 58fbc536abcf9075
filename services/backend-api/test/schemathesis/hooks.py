"""Schemathesis hooks for test/openapi-conformance.test.ts (SCHEMATHESIS_HOOKS).

Two values that the document allows are valid only by the server's state, which no schema can
state: a `cursor` must be a nextCursor the server issued (an invented one is rightly a 422), and
an Idempotency-Key reused with another body is rightly a 422. In requests meant to be valid, an
invented cursor is dropped and each Idempotency-Key is made new; requests meant to be invalid
keep both as generated, and the route tests cover cursors and replays themselves.
"""

import uuid

import schemathesis


@schemathesis.hook
def map_case(context, case):
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return case
    route = (case.operation.method.upper(), case.operation.path)
    if route == ("GET", "/api/tasks") and case.query:
        case.query.pop("cursor", None)
    if route == ("POST", "/api/tasks") and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
    return case
