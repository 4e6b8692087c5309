"""How the Pix sandbox answers: exact JSON numbers, and the Pix error body with its catalogue of codes.

The error body is ``{"title", "description", "translation", "code", "extra_fields"?}`` (see ``pix.py``'s
docstring for where each code comes from; ``SBX…`` codes are this sandbox's own). A ``SandboxError``
whose code is not in ``ERRORS`` takes the catalogue's code for its HTTP status where there is one (401, 503).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import Response

from app.domain.exact_json import dumps as exact_dumps

from .model import SandboxError

UNAUTHENTICATED_DETAIL = "Failed while decoding the authentication token"
ERRORS: dict[str, tuple[str, str | None, str]] = {  # code -> (title, description or None: the message, translation)
    "QRI000003": (
        "Bad Request",
        "Invalid payload for QR Code creation.",
        "Payload inválido para a criação de QR Code.",
    ),
    "QRI000002": ("Not found", "Could not find the queried QR Code.", "Não possível encontrar o QR Code buscado."),
    "LEG000069": ("Bad Request", "Invalid request body.", "Corpo da requisição inválido."),
    "GDF000014": (
        "QI Unauthenticated",
        "Please provide valid credentials as part of the request. (Documentation: "
        "https://qitech.com.br/documentation) Details: " + UNAUTHENTICATED_DETAIL,
        "Por favor forneça credenciais válidas como parte da request. (Documentação: "
        "https://qitech.com.br/documentation) Detalhes: Falha ao decodificar o token de autenticação",
    ),
    "SBX000001": ("Conflict", None, "Esta request_control_key já foi usada com outro corpo de requisição."),
    "SBX000002": ("Conflict", None, "O QR Code não está ativo e não pode mais ser baixado."),
    "SBX000003": ("Conflict", None, "Este receiver_conciliation_id já é usado por outro QR Code."),
    "SBX000404": ("Not found", None, "Recurso não encontrado."),
    "SBX000503": ("Service Unavailable", None, "O serviço está temporariamente indisponível."),
}
_BY_STATUS = {401: "GDF000014", 503: "SBX000503"}


def answer(status: int, body: Any = None) -> Response:
    if status == 204:
        return Response(status_code=204)
    return Response(exact_dumps(body).encode(), status_code=status, media_type="application/json")


def error_body(status: int, code: str, message: str, details: dict[str, str] | None = None) -> dict[str, Any]:
    code = code if code in ERRORS else _BY_STATUS.get(status, code)
    title, description, translation = ERRORS.get(code, (HTTPStatus(status).phrase, None, message))
    body: dict[str, Any] = {
        "title": title,
        "description": description or message,
        "translation": translation,
        "code": code,
    }
    if details:
        body["extra_fields"] = details
    return body


def error_answer(exc: SandboxError) -> Response:
    details = {e["field"]: e["message"] for e in exc.errors} if exc.errors else None
    return answer(exc.status, error_body(exc.status, exc.code, exc.message, details))
