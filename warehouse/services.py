"""Writes to the warehouse. Keyword-only, typed, idempotent where a task may call them twice."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

import metrics
from warehouse.models import Complaint, ComplaintEvent, ComplaintReference
from warehouse.references import reference_candidate


def reference_allocate(*, at: datetime) -> str:
    """A new, never-used reference. The primary key settles races; a clash just draws again."""
    for _ in range(20):
        code = reference_candidate(at)
        try:
            with transaction.atomic():
                ComplaintReference.objects.create(code=code)
        except IntegrityError:
            continue
        return code
    raise RuntimeError("could not allocate a unique complaint reference in 20 draws")


@dataclass
class NewComplaint:
    """What the warehouse needs to know about a message; built by ingestion (no import back)."""

    message_id: uuid.UUID
    raw_event_id: uuid.UUID | None
    source: str
    channel: str
    provider: str
    external_id: str
    text: str
    occurred_at: datetime
    received_at: datetime
    customer_handle: str = ""
    customer_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    customer_category: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    reference: str = ""  # pre-allocated (web form), else allocated here
    category: str = ""
    category_confidence: float | None = None
    complaint_confidence: float | None = None
    urgent: bool = False
    urgency_reasons: list[str] = field(default_factory=list)
    model_version: str = ""
    # Drawn by the caller when another row must name the complaint before it is created (bulk).
    complaint_id: uuid.UUID | None = None


def complaint_create(*, new: NewComplaint) -> tuple[Complaint, bool]:
    """Create the complaint for a message, or return the one that exists. (complaint, created)."""
    existing = Complaint.objects.filter(source=new.source, external_id=new.external_id).first()
    if existing is not None:
        return existing, False
    reference = new.reference or reference_allocate(at=new.received_at)
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                **({"id": new.complaint_id} if new.complaint_id else {}),
                reference=reference,
                source=new.source,
                channel=new.channel,
                provider=new.provider,
                external_id=new.external_id,
                message_id=new.message_id,
                raw_event_id=new.raw_event_id,
                customer_handle=new.customer_handle,
                customer_name=new.customer_name,
                contact_email=new.contact_email,
                contact_phone=new.contact_phone,
                text=new.text,
                attachments=new.attachments,
                customer_category=new.customer_category,
                category=new.category,
                category_confidence=new.category_confidence,
                complaint_confidence=new.complaint_confidence,
                urgent=new.urgent,
                urgency_reasons=new.urgency_reasons,
                model_version=new.model_version,
                occurred_at=new.occurred_at,
                received_at=new.received_at,
            )
            ComplaintEvent.objects.create(
                complaint=complaint,
                action=ComplaintEvent.Action.CREATED,
                to_status=complaint.status,
                data={"source": new.source, "channel": new.channel, "model_version": new.model_version},
            )
    except IntegrityError:
        # A concurrent run of the same message won the race (rule 3): use its row.
        return Complaint.objects.get(source=new.source, external_id=new.external_id), False
    metrics.observe_receipt_to_warehouse(source=new.source, seconds=(timezone.now() - new.received_at).total_seconds())
    return complaint, True


def complaints_create_bulk(*, news: list[NewComplaint]) -> dict[tuple[str, str], uuid.UUID]:
    """complaint_create for a batch (call-log files): the same rows, audit entries and metrics, in a
    few statements instead of several per complaint. Idempotent like complaint_create: a complaint
    that exists (or that a concurrent run creates first) is returned, not duplicated.

    Returns {(source, external_id): complaint id} for every item.
    """
    wanted = {(n.source, n.external_id): n for n in news}
    found = _complaint_ids(list(wanted))
    todo = [n for key, n in wanted.items() if key not in found]
    if not todo:
        return found
    drawn = iter(references_allocate_bulk(ats=[n.received_at for n in todo if not n.reference]))
    rows: list[dict[str, Any]] = [
        {
            "id": n.complaint_id or uuid.uuid4(),
            "reference": n.reference or next(drawn),
            "source": n.source,
            "channel": n.channel,
            "provider": n.provider,
            "external_id": n.external_id,
            "message_id": n.message_id,
            "raw_event_id": n.raw_event_id,
            "customer_handle": n.customer_handle,
            "customer_name": n.customer_name,
            "contact_email": n.contact_email,
            "contact_phone": n.contact_phone,
            "text": n.text,
            "attachments": n.attachments,
            "customer_category": n.customer_category,
            "category": n.category,
            "category_confidence": n.category_confidence,
            "complaint_confidence": n.complaint_confidence,
            "urgent": n.urgent,
            "urgency_reasons": n.urgency_reasons,
            "model_version": n.model_version,
            "occurred_at": n.occurred_at,
            "received_at": n.received_at,
            "status": Complaint.Status.PENDING,
        }
        for n in todo
    ]
    with transaction.atomic():
        _insert_ignoring_conflicts(Complaint, rows)
        found.update(_complaint_ids([(r["source"], r["external_id"]) for r in rows]))
        # Ours where the stored id is the one we drew; a concurrent run's complaint is only returned.
        created = [r for r in rows if found.get((r["source"], r["external_id"])) == r["id"]]
        _insert_ignoring_conflicts(
            ComplaintEvent,
            [
                {
                    "complaint_id": r["id"],
                    "action": ComplaintEvent.Action.CREATED,
                    "to_status": r["status"],
                    "data": {"source": r["source"], "channel": r["channel"], "model_version": r["model_version"]},
                }
                for r in created
            ],
        )
    now = timezone.now()
    for r in created:
        metrics.observe_receipt_to_warehouse(source=r["source"], seconds=(now - r["received_at"]).total_seconds())
    return found


def _complaint_ids(keys: list[tuple[str, str]]) -> dict[tuple[str, str], uuid.UUID]:
    out: dict[tuple[str, str], uuid.UUID] = {}
    for source in {k[0] for k in keys}:
        rows = Complaint.objects.filter(source=source, external_id__in=[k[1] for k in keys if k[0] == source])
        out.update({(source, ext): cid for ext, cid in rows.values_list("external_id", "id")})
    return out


def _insert_ignoring_conflicts(model: type[models.Model], rows: list[dict[str, Any]]) -> list[Any]:
    """INSERT .. ON CONFLICT DO NOTHING; on PostgreSQL, returns the primary keys inserted.

    Rows are dicts of attribute names; other fields take their defaults (auto_now fields: now). On
    PostgreSQL one statement per 500 rows with RETURNING: Django's bulk_create spends ~0.3 ms of
    Python a row on these models, more than the database does. Elsewhere bulk_create, which cannot
    say what it skipped (returns []: callers re-read).
    """
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    defaults = {
        f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        for f in fields
    }
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create([model(**{**defaults, **row}) for row in rows], ignore_conflicts=True)
        return []
    quote = connection.ops.quote_name
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    columns = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    inserted: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            page = rows[start : start + 500]
            params: list[Any] = []
            for row in page:
                for f in fields:
                    value = row.get(f.attname, defaults[f.attname])
                    params.append(json.dumps(value) if f.attname in json_fields else value)
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
                f"VALUES {', '.join([row_sql] * len(page))} ON CONFLICT DO NOTHING RETURNING {pk}",
                params,
            )
            inserted.extend(r[0] for r in cursor.fetchall())
    return inserted


def references_allocate_bulk(*, ats: list[datetime]) -> list[str]:
    """reference_allocate for many at once: insert the drawn codes ignoring those already taken,
    draw again for those; the primary key settles races as it does for one."""
    if connection.vendor != "postgresql":
        return [reference_allocate(at=at) for at in ats]
    codes: list[str | None] = [None] * len(ats)
    for _ in range(20):
        missing = [i for i, code in enumerate(codes) if code is None]
        if not missing:
            return [c for c in codes if c is not None]
        draws: dict[str, int] = {}
        for i in missing:
            draws.setdefault(reference_candidate(ats[i]), i)  # a code drawn twice counts once
        with transaction.atomic():
            allocated = set(_insert_ignoring_conflicts(ComplaintReference, [{"code": code} for code in draws]))
        for code, i in draws.items():
            if code in allocated:
                codes[i] = code
    raise RuntimeError("could not allocate unique complaint references in 20 rounds")


# --- agents' actions ------------------------------------------------------------------------
# Every action below is a conditional, audited change: the row is read, the rule checked, and the
# UPDATE repeats the state that was checked in its WHERE clause. When another agent changed the
# row in between, the UPDATE matches nothing and the caller gets ComplaintConflict with the
# reason (who did what, when), never a silent overwrite. The audit row is written in the same
# transaction as the change, so there is no change without its history entry.


class ComplaintConflict(Exception):
    """The complaint is not in a state that allows the action (another agent got there first)."""

    def __init__(self, message: str, *, complaint: Complaint | None = None) -> None:
        super().__init__(message)
        self.complaint = complaint


@dataclass(frozen=True)
class BulkResult:
    done: list[str] = field(default_factory=list)  # references changed
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (reference or id, reason)


def _actor_name(user: Any) -> str:
    return str(user.get_username()) if user is not None else "the system"


def _last_change_by(complaint: Complaint) -> str:
    """'by alice at 2026-11-25 10:02 UTC': who put the complaint into its current state."""
    event = (
        # The change into this status, not a later note or reassignment recorded in it.
        ComplaintEvent.objects.filter(complaint_id=complaint.pk, to_status=complaint.status)
        .exclude(from_status=F("to_status"))
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if event is None:
        return ""
    at = timezone.localtime(event.created_at)
    return f" by {_actor_name(event.actor)} at {at:%Y-%m-%d %H:%M} {at.tzname()}"


def _require_open(complaint: Complaint) -> None:
    if complaint.status not in Complaint.OPEN_STATUSES:
        raise ComplaintConflict(
            f"{complaint.reference} was already {complaint.get_status_display().lower()}"
            f"{_last_change_by(complaint)}; your change was not applied.",
            complaint=complaint,
        )


def _require_hands(complaint: Complaint, actor: Any, may_override: bool) -> None:
    """Agents work on unassigned complaints and their own; supervisors on any."""
    if may_override or complaint.assigned_to_id in (None, actor.pk):
        return
    owner = complaint.assigned_to.get_username() if complaint.assigned_to else "another agent"
    raise ComplaintConflict(
        f"{complaint.reference} is assigned to {owner}; ask them or a supervisor to reassign it.",
        complaint=complaint,
    )


def _change(
    *,
    complaint_id: uuid.UUID | str,
    actor: Any,
    action: str,
    check: Any,
    changes: Any,
    guard: tuple[str, ...] = ("status", "assigned_to_id"),
    note: str = "",
    data: Any = None,
    after: Any = None,
) -> Complaint:
    """Read, check, conditionally update, audit: the one path every action goes through.

    `check(current)` raises ComplaintConflict; `changes(current)` gives the fields to set;
    `guard` names the fields whose checked values the UPDATE must still find; `data(current)`
    gives the audit entry's data; `after(before, updated)` runs in the same transaction
    (classifier feedback).
    """
    for _ in range(3):
        with transaction.atomic():
            current = Complaint.objects.select_related("assigned_to").get(pk=complaint_id)
            check(current)
            fields: dict[str, Any] = changes(current)
            now = timezone.now()
            fields["updated_at"] = now
            # The first agent action is the first response; later ones leave it alone.
            fields["first_response_at"] = Coalesce(F("first_response_at"), Value(now))
            condition = {name: getattr(current, name) for name in guard}
            if not Complaint.objects.filter(pk=current.pk, **condition).update(**fields):
                continue  # changed under us: read again; the check now says why, or it is still fine
            updated = Complaint.objects.select_related("assigned_to").get(pk=current.pk)
            ComplaintEvent.objects.create(
                complaint=updated,
                actor=actor,
                action=action,
                from_status=current.status,
                to_status=updated.status,
                note=note,
                data=data(current) if callable(data) else (data or {}),
            )
            if after is not None:
                after(current, updated)
            return updated
    raise ComplaintConflict("The complaint kept changing while you acted on it; reload and try again.")


def complaint_assign(
    *, complaint_id: uuid.UUID | str, actor: Any, assignee: Any, may_override: bool = False
) -> Complaint:
    """Take (assignee is the actor) or assign (supervisors). assignee=None puts it back in the pool."""

    def check(current: Complaint) -> None:
        _require_open(current)
        if current.assigned_to_id == (assignee.pk if assignee is not None else None):
            who = assignee.get_username() if assignee is not None else "nobody"
            raise ComplaintConflict(f"{current.reference} is already assigned to {who}.", complaint=current)
        if not may_override:
            if assignee is None or assignee.pk != actor.pk:
                raise ComplaintConflict("Only supervisors assign complaints to other agents.", complaint=current)
            _require_hands(current, actor, may_override)

    return _change(
        complaint_id=complaint_id,
        actor=actor,
        action=ComplaintEvent.Action.ASSIGNED,
        check=check,
        changes=lambda current: {"assigned_to": assignee},
        data=lambda current: {
            "from": current.assigned_to.get_username() if current.assigned_to else None,
            "to": assignee.get_username() if assignee is not None else None,
        },
    )


def complaint_note(*, complaint_id: uuid.UUID | str, actor: Any, note: str) -> Complaint:
    """An internal note; any agent who can see the complaint may add one, in any state."""
    note = note.strip()
    if not note:
        raise ValueError("A note needs some text.")
    return _change(
        complaint_id=complaint_id,
        actor=actor,
        action=ComplaintEvent.Action.NOTE,
        check=lambda current: None,
        changes=lambda current: {},
        guard=(),
        note=note,
    )


def complaint_start(*, complaint_id: uuid.UUID | str, actor: Any, may_override: bool = False) -> Complaint:
    """pending -> in progress; an unassigned complaint becomes the actor's."""

    def check(current: Complaint) -> None:
        _require_open(current)
        _require_hands(current, actor, may_override)
        if current.status != Complaint.Status.PENDING:
            raise ComplaintConflict(
                f"{current.reference} is already in progress{_last_change_by(current)}.", complaint=current
            )

    return _change(
        complaint_id=complaint_id,
        actor=actor,
        action=ComplaintEvent.Action.STATUS,
        check=check,
        changes=lambda current: {
            "status": Complaint.Status.IN_PROGRESS,
            "assigned_to": current.assigned_to or actor,
        },
    )


def complaint_resolve(*, complaint_id: uuid.UUID | str, actor: Any, note: str, may_override: bool = False) -> Complaint:
    """open -> resolved with the resolution note; sets resolved_at. Two agents at once: one wins."""
    note = note.strip()
    if not note:
        raise ValueError("Say how the complaint was resolved.")

    def check(current: Complaint) -> None:
        _require_open(current)
        _require_hands(current, actor, may_override)

    def changes(current: Complaint) -> dict[str, Any]:
        return {
            "status": Complaint.Status.RESOLVED,
            "resolved_at": timezone.now(),
            "resolution_note": note,
            "assigned_to": current.assigned_to or actor,
        }

    return _change(
        complaint_id=complaint_id,
        actor=actor,
        action=ComplaintEvent.Action.RESOLVED,
        check=check,
        changes=changes,
        note=note,
    )


def complaint_dismiss(
    *, complaint_id: uuid.UUID | str, actor: Any, reason: str, note: str = "", may_override: bool = False
) -> Complaint:
    """open -> dismissed as not a complaint; the verdict goes to the classifier as feedback."""
    from classification.services import feedback_record
    from classification.taxonomy import NOT_COMPLAINT_REASONS

    if reason not in NOT_COMPLAINT_REASONS:
        raise ValueError(f"reason must be one of {', '.join(NOT_COMPLAINT_REASONS)}")

    def check(current: Complaint) -> None:
        _require_open(current)
        _require_hands(current, actor, may_override)

    def feedback(before: Complaint, updated: Complaint) -> None:
        feedback_record(
            text=before.text,
            task="complaint",
            label="not_complaint",
            previous_label="complaint",
            reason=reason,
            model_version=before.model_version,
            message_id=before.message_id,
            complaint_id=before.pk,
            user=actor,
        )

    return _change(
        complaint_id=complaint_id,
        actor=actor,
        action=ComplaintEvent.Action.DISMISSED,
        check=check,
        changes=lambda current: {
            "status": Complaint.Status.DISMISSED,
            "resolution_note": note.strip(),
            "assigned_to": current.assigned_to or actor,
        },
        note=note.strip(),
        data={"reason": reason},
        after=feedback,
    )


def complaint_relabel(
    *,
    complaint_id: uuid.UUID | str,
    actor: Any,
    category: str,
    expected_category: str | None = None,
    may_override: bool = False,
) -> Complaint:
    """Correct the category. `expected_category` is what the agent saw: if it changed since, 409."""
    from classification.models import Category
    from classification.services import feedback_record

    if not Category.objects.filter(slug=category).exists():
        raise ValueError(f"unknown category {category!r}")

    def check(current: Complaint) -> None:
        if current.status == Complaint.Status.DISMISSED:
            raise ComplaintConflict(f"{current.reference} was dismissed as not a complaint.", complaint=current)
        _require_hands(current, actor, may_override)
        if expected_category is not None and current.category != expected_category:
            raise ComplaintConflict(
                f"The category of {current.reference} was changed to {current.category or 'none'} "
                "by someone else meanwhile; your change was not applied.",
                complaint=current,
            )
        if current.category == category:
            raise ComplaintConflict(f"{current.reference} is already in {category}.", complaint=current)

    def feedback(before: Complaint, updated: Complaint) -> None:
        feedback_record(
            text=before.text,
            task="category",
            label=category,
            previous_label=before.category,
            model_version=before.model_version,
            message_id=before.message_id,
            complaint_id=before.pk,
            user=actor,
        )

    return _change(
        complaint_id=complaint_id,
        actor=actor,
        action=ComplaintEvent.Action.RELABELLED,
        check=check,
        changes=lambda current: {"category": category},
        guard=("category", "assigned_to_id", "status"),
        data=lambda current: {
            "from": current.category,
            "to": category,
            "model_confidence": current.category_confidence,
        },
        after=feedback,
    )


def _bulk(complaint_ids: list[Any], act: Any) -> BulkResult:
    """Each complaint is its own conditional change: one conflict never blocks the others."""
    result = BulkResult()
    for complaint_id in complaint_ids:
        try:
            complaint = act(complaint_id)
        except Complaint.DoesNotExist:
            result.conflicts.append((str(complaint_id), "no such complaint"))
        except ComplaintConflict as exc:
            label = exc.complaint.reference if exc.complaint else str(complaint_id)
            result.conflicts.append((label, str(exc)))
        else:
            result.done.append(complaint.reference)
    return result


def complaints_bulk_assign(
    *, complaint_ids: list[Any], actor: Any, assignee: Any, may_override: bool = False
) -> BulkResult:
    return _bulk(
        complaint_ids,
        lambda cid: complaint_assign(complaint_id=cid, actor=actor, assignee=assignee, may_override=may_override),
    )


def complaints_bulk_resolve(
    *, complaint_ids: list[Any], actor: Any, note: str, may_override: bool = False
) -> BulkResult:
    if not note.strip():
        raise ValueError("Say how the complaints were resolved.")
    return _bulk(
        complaint_ids,
        lambda cid: complaint_resolve(complaint_id=cid, actor=actor, note=note, may_override=may_override),
    )
