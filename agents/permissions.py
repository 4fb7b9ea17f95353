"""Who may do what, in one place, for the browser UI and the REST API alike.

agent       a staff user in the `agents` group: works the open queue, takes complaints, acts on
            unassigned complaints and their own, sees closed complaints that were theirs.
supervisor  a staff user in the `supervisors` group: everything an agent does, plus assigning to
            others, acting on anyone's complaint and seeing every complaint.
admin       a superuser: a supervisor who may also read the raw event in the lake.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.permissions import BasePermission

AGENTS_GROUP = "agents"
SUPERVISORS_GROUP = "supervisors"


def _groups(user: Any) -> frozenset[str]:
    # One query per request: the result is kept on the user object.
    cached = getattr(user, "_staff_groups", None)
    if cached is None:
        cached = frozenset(
            user.groups.filter(name__in=(AGENTS_GROUP, SUPERVISORS_GROUP)).values_list("name", flat=True)
        )
        user._staff_groups = cached
    return cached


def is_agent(user: Any) -> bool:
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    return bool(user.is_superuser or _groups(user))


def is_supervisor(user: Any) -> bool:
    return is_agent(user) and bool(user.is_superuser or SUPERVISORS_GROUP in _groups(user))


def can_read_raw(user: Any) -> bool:
    return is_agent(user) and bool(user.is_superuser)


def agent_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Anonymous: to the login page. Logged in but not an agent (a customer): 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_agent(request.user):
            raise PermissionDenied("This area is for agents.")
        return view(request, *args, **kwargs)

    return wrapper


class IsAgent(BasePermission):
    message = "This API is for agents and supervisors."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_agent(request.user)
