"""Reads for the agents' queue, the API and the detail page.

The queue is ordered urgent first, then oldest first, and paged by keyset (the position of the
last row seen), never by OFFSET: page 400 costs what page 1 costs. Counts are capped: a count
stops at `cap` rows instead of walking the whole table on every page view.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from warehouse.models import Complaint, ComplaintEvent
from warehouse.references import reference_typed

OPEN_STATUSES = (Complaint.Status.PENDING.value, Complaint.Status.IN_PROGRESS.value)
COUNT_CAP = 1000

# Must stay identical to the expression of the GIN index (migration
# 0002_agents_queue_indexes), or PostgreSQL will not use it.
SEARCH_DOCUMENT = (
    "to_tsvector('english'::regconfig, warehouse_complaint.customer_handle || ' ' || "
    "warehouse_complaint.customer_name || ' ' || warehouse_complaint.text)"
)


def complaint_list_base() -> QuerySet[Complaint]:
    """What lists start from; agents.filters.ComplaintFilter narrows it by status and role."""
    return Complaint.objects.select_related("assigned_to")


def complaint_scope(*, user_id: int | None, see_all: bool) -> QuerySet[Complaint]:
    """What a person may see: supervisors everything; agents the open queue and their own."""
    qs = Complaint.objects.select_related("assigned_to")
    if see_all:
        return qs
    return qs.filter(Q(status__in=OPEN_STATUSES) | Q(assigned_to_id=user_id))


def complaint_search(qs: QuerySet[Complaint], *, text: str) -> QuerySet[Complaint]:
    """A reference finds its complaint; anything else is a word search over text and customer."""
    text = text.strip()
    if not text:
        return qs
    code = reference_typed(text)
    if code is not None:
        return qs.filter(reference=code)
    if qs.db and connections[qs.db].vendor == "postgresql":
        # websearch_to_tsquery accepts anything a person types ("late -refund", quotes) without
        # syntax errors; the GIN index makes rare words fast, the queue index common ones.
        match = RawSQL(  # noqa: S611 - a constant expression; the user's text is a bound parameter
            f"{SEARCH_DOCUMENT} @@ websearch_to_tsquery('english'::regconfig, %s)",
            (text,),
            output_field=BooleanField(),
        )
        return qs.filter(match)
    return qs.filter(Q(text__icontains=text) | Q(customer_handle__icontains=text) | Q(customer_name__icontains=text))


# --- keyset pages -----------------------------------------------------------------------------
@dataclass(frozen=True)
class QueuePosition:
    """Where a row sits in the queue order (urgent desc, received_at, id)."""

    urgent: bool
    received_at: datetime
    id: uuid.UUID

    @classmethod
    def of(cls, complaint: Complaint) -> QueuePosition:
        return cls(urgent=complaint.urgent, received_at=complaint.received_at, id=complaint.id)

    def encode(self) -> str:
        raw = json.dumps([int(self.urgent), self.received_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> QueuePosition:
        """Raises ValueError for anything that is not a cursor this module made."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            urgent, at, ident = json.loads(raw)
            received_at = datetime.fromisoformat(at)
            if received_at.tzinfo is None or urgent not in (0, 1):
                raise ValueError("bad cursor")
            return cls(urgent=bool(urgent), received_at=received_at, id=uuid.UUID(ident))
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise ValueError("invalid cursor") from exc


@dataclass(frozen=True)
class QueuePage:
    items: list[Complaint]
    next: QueuePosition | None  # pass as `after` for the next page
    previous: QueuePosition | None  # pass as `before` for the previous page


def complaint_queue_page(
    qs: QuerySet[Complaint],
    *,
    after: QueuePosition | None = None,
    before: QueuePosition | None = None,
    size: int = 50,
) -> QueuePage:
    """One page of `qs` in queue order.

    The order is split on `urgent` (urgent rows, then the rest): within each half the query is
    a plain range on (received_at, id), which an index on (..., urgent, received_at, id) answers
    by seeking to the cursor and reading `size` entries.
    """
    if before is not None:
        rows = _walk(qs, start=before, size=size, forward=False)
        more = len(rows) > size
        rows = list(reversed(rows[:size]))
        return QueuePage(
            items=rows,
            next=QueuePosition.of(rows[-1]) if rows else None,
            previous=QueuePosition.of(rows[0]) if rows and more else None,
        )
    rows = _walk(qs, start=after, size=size, forward=True)
    more = len(rows) > size
    rows = rows[:size]
    return QueuePage(
        items=rows,
        next=QueuePosition.of(rows[-1]) if rows and more else None,
        previous=QueuePosition.of(rows[0]) if rows and after is not None else None,
    )


def _walk(qs: QuerySet[Complaint], *, start: QueuePosition | None, size: int, forward: bool) -> list[Complaint]:
    halves = [True, False] if forward else [False, True]
    if start is not None:
        halves = halves[halves.index(start.urgent) :]
    rows: list[Complaint] = []
    for urgent in halves:
        part = qs.filter(urgent=urgent)
        if start is not None and start.urgent == urgent:
            # (received_at, id) > (x, y) written so that the range on received_at is an index
            # condition and the tie-break on id only filters rows at exactly x.
            if forward:
                part = part.filter(received_at__gte=start.received_at).exclude(
                    received_at=start.received_at, id__lte=start.id
                )
            else:
                part = part.filter(received_at__lte=start.received_at).exclude(
                    received_at=start.received_at, id__gte=start.id
                )
        order = ("received_at", "id") if forward else ("-received_at", "-id")
        rows.extend(part.order_by(*order)[: size + 1 - len(rows)])
        if len(rows) > size:
            break
    return rows


# --- capped counts ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CappedCount:
    value: int
    capped: bool  # True: there are at least `value` rows, maybe many more

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


def complaint_capped_counts(querysets: Mapping[str, QuerySet[Any]], *, cap: int = COUNT_CAP) -> dict[str, CappedCount]:
    """Count each queryset up to `cap` rows, all in one statement (one round trip for ~30 counts).

    A count that reaches the cap reads "1,000+": the exact number of a large backlog helps nobody,
    and counting it would read every matching index entry on every page view.
    """
    if not querysets:
        return {}
    keys = list(querysets)
    db = querysets[keys[0]].db
    parts: list[str] = []
    params: list[Any] = []
    for index, key in enumerate(keys):
        sub = querysets[key].order_by().values("pk")[: cap + 1]
        try:
            sql, sub_params = sub.query.get_compiler(using=db).as_sql()
        except EmptyResultSet:  # qs.none(), or a filter that can match nothing
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS c{index})")  # noqa: S608 - compiled by the ORM, params bound
        params.extend(sub_params)
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        values = cursor.fetchone()
    return {key: CappedCount(value=min(int(v), cap), capped=int(v) > cap) for key, v in zip(keys, values, strict=True)}


def complaint_capped_count(qs: QuerySet[Any], *, cap: int = COUNT_CAP) -> CappedCount:
    return complaint_capped_counts({"all": qs}, cap=cap)["all"]


# --- one complaint ----------------------------------------------------------------------------
def complaint_history(*, complaint_id: uuid.UUID | str) -> QuerySet[ComplaintEvent]:
    return ComplaintEvent.objects.filter(complaint_id=complaint_id).select_related("actor").order_by("created_at", "id")
