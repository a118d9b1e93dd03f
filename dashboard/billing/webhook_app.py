"""The Stripe webhook receiver: a small ASGI app (Starlette), run by `python -m dashboard serve-webhooks`.

POST /stripe/webhook: the signature is checked with stripe-python against STRIPE_WEBHOOK_SECRET before
anything is read or written (400 when it does not match); the event is then stored once and applied
(dashboard.billing.stripe_sync.webhooks). GET /healthz answers ok. Bodies over 1 MiB are refused.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from dashboard.billing.stripe_gateway import StripeGateway, StripeGatewayError, verify_webhook
from dashboard.billing.stripe_sync.webhooks import receive_event

MAX_BODY = 1024 * 1024
log = logging.getLogger("dashboard.webhooks")


def create_app(engine: Engine, gateway: StripeGateway, secret: str) -> Starlette:
    if not secret:
        raise ValueError("STRIPE_WEBHOOK_SECRET is not set")

    async def stripe_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": "payload too large"}, status_code=413)
        try:
            event = verify_webhook(body, request.headers.get("stripe-signature"), secret)
        except StripeGatewayError as error:
            log.warning("refused a webhook delivery: %s", error.message)
            return JSONResponse({"error": error.message}, status_code=400)
        try:
            outcome = receive_event(engine, gateway, event)
        except StripeGatewayError as error:
            log.warning("event %s not applied: %s", event["id"], error.message)
            return JSONResponse({"error": "not applied, retry later"}, status_code=500)
        return JSONResponse({"received": True, "id": event["id"], "outcome": str(outcome)})

    async def healthz(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/stripe/webhook", stripe_webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
