"""Forms behind the agents' actions. Each one maps onto one service call."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from agents.filters import category_choices
from agents.permissions import AGENTS_GROUP, SUPERVISORS_GROUP
from classification.taxonomy import NOT_COMPLAINT_REASONS

REASON_LABELS = {
    "spam": "Spam",
    "joke": "Joke or banter",
    "praise": "Praise",
    "question": "A question, not a complaint",
    "other": "Other, not a complaint",
}


def assignable_users() -> Any:
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name__in=(AGENTS_GROUP, SUPERVISORS_GROUP))
        .distinct()
        .order_by("username")
    )


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.get_username()})" if full else obj.get_username()


class NoteForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Internal note (not sent to the customer)"}),
        max_length=5000,
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Resolution",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What was done for the customer"}),
        max_length=5000,
        error_messages={"required": "Say how the complaint was resolved."},
    )


class DismissForm(forms.Form):
    reason = forms.ChoiceField(choices=[(r, REASON_LABELS.get(r, r)) for r in NOT_COMPLAINT_REASONS])
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.TextInput(attrs={"placeholder": "Why (optional)"})
    )


class RelabelForm(forms.Form):
    category = forms.ChoiceField(choices=())
    expected = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    assignee = AgentChoiceField(queryset=None, required=False, empty_label="Nobody (back to the pool)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()  # type: ignore[attr-defined]


class UUIDListField(forms.Field):
    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": "Tick at least one complaint.", "invalid": "Not a complaint id: %(value)s"}

    def to_python(self, value: Any) -> list[uuid.UUID]:
        result = []
        for item in value or []:
            try:
                result.append(uuid.UUID(str(item)))
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], params={"value": item}) from None
        return result


class BulkForm(forms.Form):
    ACTIONS = [("take", "Assign to me"), ("assign", "Assign to"), ("resolve", "Resolve")]

    ids = UUIDListField()
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = AgentChoiceField(queryset=None, required=False)
    note = forms.CharField(required=False, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "resolve" and not (data.get("note") or "").strip():
            self.add_error("note", "Say how the complaints were resolved.")
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose whom to assign them to.")
        return data


class PromoteForm(forms.Form):
    category = forms.ChoiceField(choices=(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "Category: let it be"), *category_choices()]  # type: ignore[attr-defined]
