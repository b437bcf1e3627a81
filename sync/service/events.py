"""Webhook payloads into what to pull: Intuit's legacy and CloudEvents formats, one result.

Why the entities and not the records: a pull is incremental from the last cursor and reads
every change since, so a webhook only has to say *which* entities changed and *that* a pull is
due; the ids in the event are kept for deduplication and the audit trail only.

Legacy: `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name", "id",
"operation", "lastUpdated"}]}}]}`; it has no event id, so one is derived from the realm, the
entity, its id, the operation and `lastUpdated` (Intuit's redelivery of the same change gets
the same id). CloudEvents: a JSON array of `{"id", "type": "qbo.invoice.created.v1",
"intuitentityid", "intuitaccountid", ...}`; `id` is the event id.

QuickBooks entity → core entities: Customer → customers and credit_profiles; Invoice and
CreditMemo → open_items; Payment → payments; Estimate → orders; any other entity is ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from creditbridge.core.ports import Entity

QBO_ENTITIES: dict[str, tuple[Entity, ...]] = {
    "customer": (Entity.CUSTOMERS, Entity.CREDIT_PROFILES),
    "invoice": (Entity.OPEN_ITEMS,),
    "creditmemo": (Entity.OPEN_ITEMS,),
    "payment": (Entity.PAYMENTS,),
    "estimate": (Entity.ORDERS,),
}
MAX_EVENT_ID = 200


class PayloadError(ValueError):
    """The body is not a webhook payload of either format; the sender's fault (HTTP 400)."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One change notification: its event id, the QuickBooks company (realm) and entity name."""

    event_id: str
    realm_id: str | None
    qbo_entity: str
    record_id: str | None

    @property
    def entities(self) -> tuple[Entity, ...]:
        """The core entities to pull for this event (empty when we do not replicate it)."""
        return QBO_ENTITIES.get(self.qbo_entity.lower(), ())


def parse_payload(body: bytes) -> list[WebhookEvent]:
    """The events of a webhook body in either format; `PayloadError` if it is neither."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"the body is not JSON: {exc}") from None
    if isinstance(document, dict) and "eventNotifications" in document:
        return _legacy_events(document["eventNotifications"])
    if isinstance(document, dict) and "specversion" in document:
        return _cloud_events([document])  # a single CloudEvent (structured mode)
    if isinstance(document, list):
        return _cloud_events(document)
    raise PayloadError("expected {'eventNotifications': [...]} or a JSON array of CloudEvents")


def entities_of(events: Iterable[WebhookEvent]) -> list[Entity]:
    """The union of the events' core entities, in pull order."""
    wanted = {entity for event in events for entity in event.entities}
    return [entity for entity in Entity if entity in wanted]


def _legacy_events(notifications: Any) -> list[WebhookEvent]:
    if not isinstance(notifications, list):
        raise PayloadError("eventNotifications must be a list")
    events: list[WebhookEvent] = []
    for notification in notifications:
        if not isinstance(notification, dict):
            raise PayloadError("each of eventNotifications must be an object")
        realm = _text(notification.get("realmId"))
        change = notification.get("dataChangeEvent") or {}
        entities = change.get("entities") if isinstance(change, dict) else None
        if not isinstance(entities, list):
            raise PayloadError("dataChangeEvent.entities must be a list")
        for entity in entities:
            if not isinstance(entity, dict) or not isinstance(entity.get("name"), str):
                raise PayloadError("each dataChangeEvent entity needs a name")
            fields = (_text(entity.get(k)) or "" for k in ("id", "operation", "lastUpdated"))
            parts = [realm or "", entity["name"], *fields]
            digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
            events.append(WebhookEvent(f"legacy:{digest}", realm, entity["name"], _text(entity.get("id"))))
    return events


def _cloud_events(items: list[Any]) -> list[WebhookEvent]:
    events: list[WebhookEvent] = []
    for item in items:
        if not isinstance(item, dict):
            raise PayloadError("each CloudEvent must be an object")
        event_id, kind = _text(item.get("id")), item.get("type")
        if not event_id or len(event_id) > MAX_EVENT_ID:
            raise PayloadError(f"a CloudEvent needs an id of 1 to {MAX_EVENT_ID} characters")
        if not isinstance(kind, str):
            raise PayloadError(f"CloudEvent {event_id!r} has no type")
        parts = kind.split(".")  # qbo.<entity>.<operation>.v<version>
        qbo_entity = parts[1] if len(parts) >= 3 and parts[0] == "qbo" else ""
        events.append(
            WebhookEvent(event_id, _text(item.get("intuitaccountid")), qbo_entity, _text(item.get("intuitentityid")))
        )
    return events


def _text(value: Any) -> str | None:
    """An id as text: Intuit sends realm and entity ids as strings, sometimes as numbers."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value)
    return None
