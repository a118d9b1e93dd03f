"""The only module that talks to Stripe (stripe-python 16, `StripeClient`).

Everything above it gets plain dicts (`to_dict()` of Stripe objects) and `StripeGatewayError`s with a
message fit for a console user. Reads are paged with `limit=100` and `expand` so the number of calls
grows with pages, not objects. Writes (added by billing corrections and privacy work) must go through
`_write()` so each carries an idempotency key and the same error mapping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import stripe

from dashboard.core.settings import Settings, get_settings

PAGE_SIZE = 100
RATE_LIMIT_RETRIES = 3  # stripe-python retries 5xx/409/timeouts; a plain 429 it leaves to us

# resource name -> what each page of a full listing expands so that no call per object is needed
LIST_EXPAND: dict[str, list[str]] = {
    "customers": [],
    "products": [],
    "prices": [],
    "coupons": [],
    "subscriptions": ["data.discounts"],
    "invoices": ["data.payments"],
    "charges": [],
    "refunds": [],
    "credit_notes": [],
}
LIST_PARAMS: dict[str, dict[str, Any]] = {
    "subscriptions": {"status": "all"},
}
RETRIEVE_EXPAND: dict[str, list[str]] = {
    "subscriptions": ["discounts"],
    "invoices": ["payments"],
}


def verify_webhook(payload: bytes, signature: str | None, secret: str, *, tolerance: int = 300) -> dict:
    """A webhook delivery's event as a plain dict, after stripe-python checked its `Stripe-Signature`
    (HMAC-SHA256 with the endpoint secret, timestamp within `tolerance` seconds). Raises
    StripeGatewayError(kind="signature") when it does not match; nothing about the secret is shown."""
    try:
        stripe.WebhookSignature.verify_header(payload, signature or "", secret, tolerance)
    except stripe.SignatureVerificationError:
        raise StripeGatewayError("The Stripe signature does not match.", kind="signature") from None
    try:
        event = json.loads(payload)
    except ValueError:
        raise StripeGatewayError("The payload is not a Stripe event.", kind="invalid_request") from None
    if not isinstance(event, dict) or event.get("object") != "event" or not event.get("id"):
        raise StripeGatewayError("The payload is not a Stripe event.", kind="invalid_request")
    return event


class StripeGatewayError(RuntimeError):
    """A Stripe call failed; `message` is for people, `kind` for code (auth, rate_limit, ...)."""

    def __init__(self, message: str, *, kind: str, retryable: bool = False, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retryable = retryable
        self.status = status


def _describe(error: stripe.StripeError) -> StripeGatewayError:
    detail = error.user_message or str(error) or error.__class__.__name__
    status = error.http_status
    if isinstance(error, stripe.AuthenticationError):
        return StripeGatewayError(
            "Stripe refused the API key (authentication failed). Check STRIPE_API_KEY.",
            kind="authentication",
            status=status,
        )
    if isinstance(error, stripe.PermissionError):
        return StripeGatewayError(
            f"The Stripe key lacks a permission: {detail}", kind="permission", status=status
        )
    if isinstance(error, stripe.RateLimitError):
        return StripeGatewayError(
            "Stripe is rate limiting the console; try again in a minute.",
            kind="rate_limit",
            retryable=True,
            status=status,
        )
    if isinstance(error, stripe.APIConnectionError):
        return StripeGatewayError(
            f"Could not reach Stripe (network or timeout): {detail}",
            kind="connection",
            retryable=True,
            status=status,
        )
    if isinstance(error, stripe.CardError):
        # Stripe's own words are what the customer's bank said ("Your card was declined."): shown as they are
        return StripeGatewayError(detail, kind="card", status=status)
    if isinstance(error, stripe.IdempotencyError):
        return StripeGatewayError(
            f"Stripe rejected a reused idempotency key: {detail}", kind="idempotency", status=status
        )
    if isinstance(error, stripe.InvalidRequestError):
        kind = "not_found" if status == 404 else "invalid_request"
        return StripeGatewayError(f"Stripe rejected the request: {detail}", kind=kind, status=status)
    return StripeGatewayError(
        f"Stripe failed ({status or 'no status'}): {detail}",
        kind="api",
        retryable=bool(status and status >= 500),
        status=status,
    )


class _EndpointRecordingClient(stripe.RequestsClient):
    """stripe-python's requests client, remembering the endpoint of the last call for error messages."""

    last_endpoint = "Stripe API"

    def request_with_retries(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self.last_endpoint = f"{method.upper()} {urlsplit(url).path}"
        return super().request_with_retries(method, url, *args, **kwargs)


class StripeGateway:
    """A configured `StripeClient`. Tests point it at the fake server with `api_base`."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        max_network_retries: int = 3,
        timeout: float = 30.0,
    ) -> None:
        if not api_key:
            raise StripeGatewayError(
                "No Stripe API key is configured (STRIPE_API_KEY).", kind="authentication"
            )
        base_addresses: dict[str, str] = {"api": api_base} if api_base else {}
        self._http = _EndpointRecordingClient(timeout=timeout)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses=base_addresses,  # type: ignore[arg-type]
            max_network_retries=max_network_retries,
            http_client=self._http,
        )
        self.calls = 0  # requests issued by this gateway (retries inside stripe-python not included)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> StripeGateway:
        settings = settings or get_settings()
        key = settings.stripe_api_key.get_secret_value() if settings.stripe_api_key else ""
        return cls(
            key, api_base=settings.stripe_api_base, max_network_retries=settings.stripe_max_network_retries
        )

    # -- reads -------------------------------------------------------------------------------------

    def list_pages(self, resource: str, *, params: dict[str, Any] | None = None) -> Iterator[list[dict]]:
        """Each page (up to 100 objects, expanded as LIST_EXPAND says) of a listing, as plain dicts."""
        query: dict[str, Any] = {"limit": PAGE_SIZE, **LIST_PARAMS.get(resource, {}), **(params or {})}
        if LIST_EXPAND.get(resource):
            query["expand"] = LIST_EXPAND[resource]
        service = getattr(self._client.v1, resource)
        page = self._call(lambda: service.list(params=query))
        while True:
            yield [item.to_dict() for item in page.data]
            if not page.has_more or not page.data:
                return
            page = self._call(page.next_page)

    def retrieve(self, resource: str, object_id: str) -> dict:
        service = getattr(self._client.v1, resource)
        params = {"expand": RETRIEVE_EXPAND[resource]} if resource in RETRIEVE_EXPAND else None
        return self._call(lambda: service.retrieve(object_id, params=params)).to_dict()

    def missing_read_permissions(self, resources: Iterable[str]) -> list[str]:
        """The resources this key may not list (a restricted key without their Read permission): one
        `limit=1` listing each, a 403 counting as missing."""
        missing: list[str] = []
        for resource in resources:
            service = getattr(self._client.v1, resource)
            try:
                self._call(lambda service=service: service.list(params={"limit": 1}))
            except StripeGatewayError as error:
                if error.kind != "permission":
                    raise
                missing.append(resource)
        return missing

    def event_pages(self, *, created_gte: int, limit: int = PAGE_SIZE) -> Iterator[list[dict]]:
        """Events created at or after `created_gte` (Unix seconds), newest first, page by page."""
        return self.list_pages("events", params={"created": {"gte": created_gte}, "limit": limit})

    # -- privacy: a subject's customers and what hangs off them, and their deletion ------------------

    def search_customers_by_email(self, email: str) -> list[dict]:
        """Customers whose email contains `email` (Stripe search: case-insensitive and fuzzy, so callers
        keep only exact matches). Search is eventually consistent: a customer made a minute ago may lack."""
        escaped = email.replace("\\", "\\\\").replace('"', '\\"')
        params: dict[str, Any] = {"query": f'email~"{escaped}"', "limit": PAGE_SIZE}
        found: list[dict] = []
        while True:
            page = self._call(lambda: self._client.v1.customers.search(params=dict(params)))
            found.extend(item.to_dict() for item in page.data)
            if not page.has_more or not page.next_page:
                return found
            params["page"] = page.next_page

    def customer_objects(self, resource: str, customer_id: str) -> list[dict]:
        """Every `resource` object (subscriptions, invoices, charges) of one customer."""
        return [item for page in self.list_pages(resource, params={"customer": customer_id}) for item in page]

    def charge_refunds(self, charge_id: str) -> list[dict]:
        return [
            item
            for page in self.list_pages("refunds", params={"charge": charge_id})
            for item in page
            if item.get("charge") == charge_id
        ]

    def invoice_credit_notes(self, invoice_id: str) -> list[dict]:
        return [
            item for page in self.list_pages("credit_notes", params={"invoice": invoice_id}) for item in page
        ]

    def delete_customer(self, customer_id: str) -> bool:
        """Delete a customer (Stripe cancels its subscriptions; invoices stay). False: it was already gone.

        Stripe ignores idempotency keys on DELETE; a repeated delete answers 404, which counts as done."""
        try:
            self._call(lambda: self._client.v1.customers.delete(customer_id))
        except StripeGatewayError as error:
            if error.kind == "not_found":
                return False
            raise
        return True

    def customer_exists(self, customer_id: str) -> bool:
        """True while the customer is retrievable and not marked deleted."""
        try:
            found = self.retrieve("customers", customer_id)
        except StripeGatewayError as error:
            if error.kind == "not_found":
                return False
            raise
        return not found.get("deleted")

    # -- previews (no money moves; Stripe computes what a write would do) ----------------------------

    def preview_credit_note(self, params: dict[str, Any]) -> dict:
        return self._call(lambda: self._client.v1.credit_notes.preview(params=params)).to_dict()

    def preview_invoice(self, params: dict[str, Any]) -> dict:
        """The invoice a subscription change would produce (`POST /v1/invoices/create_preview`)."""
        return self._call(lambda: self._client.v1.invoices.create_preview(params=params)).to_dict()

    # -- writes of billing corrections (each with the correction's idempotency key) -----------------

    def create_refund(self, params: dict[str, Any], *, idempotency_key: str) -> dict:
        refunds = self._client.v1.refunds
        return self._write(
            lambda options: refunds.create(params=params, options=options), idempotency_key=idempotency_key
        )

    def create_credit_note(self, params: dict[str, Any], *, idempotency_key: str) -> dict:
        notes = self._client.v1.credit_notes
        return self._write(
            lambda options: notes.create(params=params, options=options), idempotency_key=idempotency_key
        )

    def create_coupon(self, params: dict[str, Any], *, idempotency_key: str) -> dict:
        coupons = self._client.v1.coupons
        return self._write(
            lambda options: coupons.create(params=params, options=options), idempotency_key=idempotency_key
        )

    def update_subscription(
        self, subscription_id: str, params: dict[str, Any], *, idempotency_key: str
    ) -> dict:
        service = self._client.v1.subscriptions
        return self._write(
            lambda options: service.update(subscription_id, params=params, options=options),
            idempotency_key=idempotency_key,
        )

    def void_invoice(self, invoice_id: str, *, idempotency_key: str) -> dict:
        invoices = self._client.v1.invoices
        return self._write(
            lambda options: invoices.void_invoice(invoice_id, options=options),
            idempotency_key=idempotency_key,
        )

    # -- plumbing ----------------------------------------------------------------------------------

    def _write(self, call: Callable[[dict[str, Any]], Any], *, idempotency_key: str) -> dict:
        """Run a create/update with an idempotency key, sent once (no network retries inside
        stripe-python): a refusal then means Stripe said no, and anything else is for the caller to
        settle by looking in Stripe and resending under the same key. A 429 is retried here (Stripe
        did nothing)."""
        if not idempotency_key:
            raise ValueError("every Stripe write needs an idempotency key")
        options = {"idempotency_key": idempotency_key, "max_network_retries": 0}
        return self._call(lambda: call(options)).to_dict()

    def _call(self, call: Callable[[], Any]) -> Any:
        for attempt in range(RATE_LIMIT_RETRIES + 1):
            try:
                with _translated(lambda: self._http.last_endpoint):
                    self.calls += 1
                    return call()
            except StripeGatewayError as error:
                if error.kind != "rate_limit" or attempt == RATE_LIMIT_RETRIES:
                    raise
                time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")


@contextmanager
def _translated(endpoint: Callable[[], str]) -> Iterator[None]:
    """stripe-python's errors as `StripeGatewayError`s whose message names the endpoint that failed."""
    try:
        yield
    except stripe.StripeError as error:
        described = _describe(error)
        described.message = f"{endpoint()}: {described.message}"
        described.args = (described.message,)
        raise described from error
