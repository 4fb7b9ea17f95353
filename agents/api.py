"""The REST API: the queue, one complaint, and the actions on it. Thin views over services."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents import serializers as s
from agents.filters import ComplaintFilter
from agents.pagination import QueueKeysetPagination
from agents.permissions import IsAgent, is_supervisor
from agents.selectors import filtered_messages, filtered_messages_page
from agents.services import message_promote
from ingestion.models import Message
from warehouse.models import Complaint
from warehouse.selectors import complaint_list_base, complaint_scope
from warehouse.services import (
    BulkResult,
    ComplaintConflict,
    complaint_assign,
    complaint_dismiss,
    complaint_note,
    complaint_relabel,
    complaint_resolve,
    complaint_start,
    complaints_bulk_assign,
    complaints_bulk_resolve,
)


class AgentAPIView(APIView):
    # Token first: an unauthenticated call then gets 401 with WWW-Authenticate, not a bare 403.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAgent]

    def scope(self) -> Any:
        return complaint_scope(user_id=self.request.user.pk, see_all=is_supervisor(self.request.user))

    def visible(self, pk: Any) -> Complaint:
        complaint = self.scope().filter(pk=pk).first()
        if complaint is None:
            raise Http404("No such complaint.")
        return complaint

    def actionable(self, pk: Any) -> Complaint:
        """Any complaint may be acted on: the service's checks decide, so an agent who lost a race
        to a colleague hears "already resolved by bob" (409), not a puzzling 404."""
        complaint = Complaint.objects.filter(pk=pk).first()
        if complaint is None:
            raise Http404("No such complaint.")
        return complaint


def conflict_response(exc: ComplaintConflict, scope: Any = None) -> Response:
    complaint = exc.complaint
    if complaint is not None:
        # The current state, when the caller may see it.
        complaint = (scope if scope is not None else Complaint.objects).filter(pk=complaint.pk).first()
    return Response(
        {"detail": str(exc), "complaint": s.ComplaintListSerializer(complaint).data if complaint else None},
        status=status.HTTP_409_CONFLICT,
    )


@extend_schema(tags=["complaints"])
class ComplaintList(AgentAPIView, generics.ListAPIView):
    """The queue: open complaints by default, urgent first then oldest; the same filters as the UI."""

    serializer_class = s.ComplaintListSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ComplaintFilter
    pagination_class = QueueKeysetPagination

    def get_queryset(self) -> Any:
        return complaint_list_base()  # ComplaintFilter applies who sees what


@extend_schema(tags=["complaints"])
class ComplaintDetail(AgentAPIView, generics.RetrieveAPIView):
    serializer_class = s.ComplaintDetailSerializer

    def get_queryset(self) -> Any:
        return self.scope().prefetch_related("events__actor")


class ComplaintActionView(AgentAPIView):
    input_serializer: type[Any] = s.NoteInput
    # Actions the service allows in any state (note, relabel) would otherwise let an agent write
    # to, and read back in the answer, a complaint they may not see: those need it in sight.
    needs_sight = False

    def perform(self, complaint: Complaint, data: dict[str, Any]) -> Complaint:
        raise NotImplementedError

    def post(self, request: Request, pk: Any) -> Response:
        complaint = self.visible(pk) if self.needs_sight else self.actionable(pk)
        payload = self.input_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            updated = self.perform(complaint, dict(payload.validated_data))
        except ComplaintConflict as exc:
            return conflict_response(exc, self.scope())
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        fresh = self.scope().prefetch_related("events__actor").filter(pk=updated.pk).first() or updated
        return Response(s.ComplaintDetailSerializer(fresh, context={"request": request}).data)

    @property
    def supervisor(self) -> bool:
        return is_supervisor(self.request.user)


ACTION_RESPONSES = {
    200: s.ComplaintDetailSerializer,
    400: OpenApiResponse(description="Invalid input."),
    403: OpenApiResponse(description="Not allowed (for example: an agent assigning to someone else)."),
    404: OpenApiResponse(description="No such complaint, or not visible to you."),
    409: OpenApiResponse(s.ConflictSerializer, description="Someone else changed the complaint first."),
}


@extend_schema(tags=["actions"], request=s.AssignInput, responses=ACTION_RESPONSES)
class AssignAction(ComplaintActionView):
    """Take a complaint (no user_id), or, for supervisors, assign it to someone (user_id, or null)."""

    input_serializer = s.AssignInput

    def perform(self, complaint: Complaint, data: dict[str, Any]) -> Complaint:
        assignee = data["user_id"] if "user_id" in data else self.request.user
        if not self.supervisor and (assignee is None or assignee.pk != self.request.user.pk):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied("Only supervisors assign complaints to other agents.")
        return complaint_assign(
            complaint_id=complaint.pk, actor=self.request.user, assignee=assignee, may_override=self.supervisor
        )


@extend_schema(tags=["actions"], request=s.NoteInput, responses=ACTION_RESPONSES)
class NoteAction(ComplaintActionView):
    """Add an internal note."""

    input_serializer = s.NoteInput
    needs_sight = True

    def perform(self, complaint: Complaint, data: dict[str, Any]) -> Complaint:
        return complaint_note(complaint_id=complaint.pk, actor=self.request.user, note=data["note"])


@extend_schema(tags=["actions"], request=s.ResolveInput, responses=ACTION_RESPONSES)
class ResolveAction(ComplaintActionView):
    """Resolve with a resolution note. If another agent resolved it first: 409."""

    input_serializer = s.ResolveInput

    def perform(self, complaint: Complaint, data: dict[str, Any]) -> Complaint:
        return complaint_resolve(
            complaint_id=complaint.pk, actor=self.request.user, note=data["note"], may_override=self.supervisor
        )


@extend_schema(tags=["actions"], request=None, responses=ACTION_RESPONSES)
class StartAction(ComplaintActionView):
    """pending -> in progress (an unassigned complaint becomes yours)."""

    input_serializer = s.EmptyInput

    def perform(self, complaint: Complaint, data: dict[str, Any]) -> Complaint:
        return complaint_start(complaint_id=complaint.pk, actor=self.request.user, may_override=self.supervisor)


@extend_schema(tags=["actions"], request=s.DismissInput, responses=ACTION_RESPONSES)
class DismissAction(ComplaintActionView):
    """Dismiss as not a complaint; recorded as classifier feedback."""

    input_serializer = s.DismissInput

    def perform(self, complaint: Complaint, data: dict[str, Any]) -> Complaint:
        return complaint_dismiss(
            complaint_id=complaint.pk,
            actor=self.request.user,
            reason=data["reason"],
            note=data.get("note", ""),
            may_override=self.supervisor,
        )


@extend_schema(tags=["actions"], request=s.RelabelInput, responses=ACTION_RESPONSES)
class RelabelAction(ComplaintActionView):
    """Change the category; recorded as classifier feedback."""

    input_serializer = s.RelabelInput
    needs_sight = True

    def perform(self, complaint: Complaint, data: dict[str, Any]) -> Complaint:
        return complaint_relabel(
            complaint_id=complaint.pk,
            actor=self.request.user,
            category=data["category"],
            expected_category=data.get("expected_category"),
            may_override=self.supervisor,
        )


def _bulk_response(result: BulkResult, wanted: list[Any], found: list[Any]) -> Response:
    conflicts: list[dict[str, Any]] = [{"reference": ref, "reason": reason} for ref, reason in result.conflicts]
    # A complaint that does not exist (or is out of sight) has no reference: name it by its id,
    # so that the caller can tell which of its ids failed.
    seen = set(found)
    missing = dict.fromkeys(str(pk) for pk in wanted if pk not in seen)
    conflicts += [{"reference": "", "id": pk, "reason": "not found"} for pk in missing]
    return Response({"done": result.done, "conflicts": conflicts})


@extend_schema(tags=["actions"], request=s.BulkAssignInput, responses={200: s.BulkResultSerializer})
class BulkAssign(AgentAPIView):
    """Assign many; each complaint is its own conditional change, conflicts are listed."""

    def post(self, request: Request) -> Response:
        payload = s.BulkAssignInput(data=request.data)
        payload.is_valid(raise_exception=True)
        supervisor = is_supervisor(request.user)
        user_id = payload.validated_data.get("user_id")
        if user_id is None or user_id == request.user.pk:
            assignee = request.user
        elif not supervisor:
            return Response({"detail": "Only supervisors assign complaints to other agents."}, status=403)
        else:
            assignee = s.AssignInput().validate_user_id(user_id)
        wanted = payload.validated_data["ids"]
        ids = list(self.scope().filter(id__in=wanted).values_list("id", flat=True))
        result = complaints_bulk_assign(
            complaint_ids=ids, actor=request.user, assignee=assignee, may_override=supervisor
        )
        return _bulk_response(result, wanted, ids)


@extend_schema(tags=["actions"], request=s.BulkResolveInput, responses={200: s.BulkResultSerializer})
class BulkResolve(AgentAPIView):
    """Resolve many with one note; conflicts (already resolved, someone else's) are listed."""

    def post(self, request: Request) -> Response:
        payload = s.BulkResolveInput(data=request.data)
        payload.is_valid(raise_exception=True)
        wanted = payload.validated_data["ids"]
        ids = list(self.scope().filter(id__in=wanted).values_list("id", flat=True))
        result = complaints_bulk_resolve(
            complaint_ids=ids,
            actor=request.user,
            note=payload.validated_data["note"],
            may_override=is_supervisor(request.user),
        )
        return _bulk_response(result, wanted, ids)


@extend_schema(tags=["messages"], parameters=[s.FilteredMessageQuery], responses={200: s.FilteredMessagePageSerializer})
class FilteredMessageList(AgentAPIView):
    """Messages the classifier filtered out (newest first), with its reason; 50 a page."""

    def get(self, request: Request) -> Response:
        # Validated here: the selector ignores an unknown reason or a mangled cursor, which would
        # hand a script every message, or page one again and again.
        query = s.FilteredMessageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        qs = filtered_messages(reason=params["reason"], text=params["q"])
        page = filtered_messages_page(qs, after=params["after"])
        return Response({"next_after": page.next, "results": s.FilteredMessageSerializer(page.items, many=True).data})


@extend_schema(
    tags=["messages"], request=s.PromoteInput, responses={201: s.ComplaintDetailSerializer, 409: s.ConflictSerializer}
)
class PromoteMessage(AgentAPIView):
    """Put a filtered message into the queue as a complaint; recorded as classifier feedback."""

    def post(self, request: Request, pk: Any) -> Response:
        payload = s.PromoteInput(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            complaint = message_promote(message_id=pk, actor=request.user, category=payload.validated_data["category"])
        except Message.DoesNotExist as exc:
            raise Http404("No such message.") from exc
        except ComplaintConflict as exc:
            return conflict_response(exc)
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(s.ComplaintDetailSerializer(complaint, context={"request": request}).data, status=201)


@extend_schema(exclude=True)
class NotFound(AgentAPIView):
    """Anything under /api/v1/ that no endpoint answers: JSON, never Django's HTML page, and only
    for agents (others get the 401/403 of every endpoint, and learn nothing about paths).

    A path missing only its trailing slash is sent on with 308, which (unlike the 301 of
    APPEND_SLASH) keeps the method and the body: a script's POST stays a POST.
    """

    def answer(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.path_info.endswith("/"):
            try:
                match = resolve(request.path_info + "/")
            except Resolver404:
                match = None
            if match is not None and getattr(match.func, "view_class", None) is not NotFound:
                query = request.META.get("QUERY_STRING", "")
                response = HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
                response.status_code = 308
                return response
        raise Http404("Not found.")

    get = post = put = patch = delete = options = answer
