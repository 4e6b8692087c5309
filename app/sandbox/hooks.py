"""The sandbox's provider-side test hooks: what a provider does on its own, without the till asking.

``POST /_sandbox/change`` (the amount of an open request changed), ``/_sandbox/cancel`` (cancelled there),
``/_sandbox/return`` (a settled payment sent back); provider-neutral, never faulted. The routes and their answers
are described in ``server.py``'s docstring.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .core import SandboxState
from .model import Phase, SandboxError, SimRequest, parse_amount
from .web import json_object
from .web import sandbox_error as _sandbox_error


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _selected(state: SandboxState, body: dict[str, Any], extra: set[str]) -> SimRequest:
    """The request a hook's selector names: ``request_id`` (+ ``provider``) or ``payload``."""
    unknown = set(body) - {"request_id", "provider", "payload"} - extra
    if unknown:
        raise SandboxError(400, "INVALID_REQUEST", f"unknown fields: {', '.join(sorted(unknown))}")
    if isinstance(body.get("payload"), str) and "request_id" not in body:
        return state.resolve(body["payload"])
    ident, provider = body.get("request_id"), body.get("provider")
    if not isinstance(ident, str) or not ident or not isinstance(provider, (str, type(None))):
        raise SandboxError(400, "INVALID_REQUEST", 'name the request: {"request_id"} (+ "provider") or {"payload"}')
    found = [r for p in ([provider] if provider else state.status_words) if (r := state.request(p, ident))]
    if len(found) != 1:
        what = "no payment request" if not found else "more than one provider's request"
        raise SandboxError(404 if not found else 400, "NOT_FOUND", f"{what} with id {ident}: name the provider")
    return found[0]


def _hook_answer(state: SandboxState, req: SimRequest) -> JSONResponse:
    return JSONResponse(
        {
            "request_id": req.id,
            "status": state.word(req),
            "provider": req.provider,
            "amount_paid": str(req.amount_paid),
            "amount": str(req.amount),
        }
    )


def _refuse(state: SandboxState, req: SimRequest, code: str, what: str) -> SandboxError:
    return SandboxError(409, code, f"payment request {req.id} is {state.word(req)}: {what}")


async def change(request: Request) -> Response:
    """``POST /_sandbox/change {"amount", selector}``: the amount changed at the provider."""
    state = _state(request)
    try:
        _, body = await json_object(request)
        req = _selected(state, body, {"amount"})
        amount = parse_amount(body.get("amount"), req.amount.currency)
        if req.phase is not Phase.OPEN:
            raise _refuse(state, req, "NOT_ACTIVE", "only an open request's amount can change")
        state.set_amount(req, amount)
    except SandboxError as exc:
        return _sandbox_error(exc)
    return _hook_answer(state, req)


async def cancel(request: Request) -> Response:
    """``POST /_sandbox/cancel {selector}``: cancelled at the provider."""
    state = _state(request)
    try:
        _, body = await json_object(request)
        req = _selected(state, body, set())
        if req.phase not in (Phase.OPEN, Phase.CANCELLED):
            raise _refuse(state, req, "NOT_CANCELLABLE", "only an open request can be cancelled")
        state.set_phase(req, Phase.CANCELLED)
    except SandboxError as exc:
        return _sandbox_error(exc)
    return _hook_answer(state, req)


async def give_back(request: Request) -> Response:
    """``POST /_sandbox/return {selector}``: a settled payment returned to the payer."""
    state = _state(request)
    try:
        _, body = await json_object(request)
        req = _selected(state, body, set())
        if Phase.RETURNED not in state.status_words.get(req.provider, {}):
            raise SandboxError(409, "NOT_RETURNABLE", f"{req.provider} has no returned payments")
        if req.phase not in (Phase.SETTLED, Phase.RETURNED):
            raise _refuse(state, req, "NOT_RETURNABLE", "only a settled payment can be returned")
        state.set_phase(req, Phase.RETURNED)
    except SandboxError as exc:
        return _sandbox_error(exc)
    return _hook_answer(state, req)
