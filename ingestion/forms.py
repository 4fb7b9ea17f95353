"""The public complaint form."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from classification.models import Category
from ingestion.attachments import AttachmentRejected, CleanAttachment, clean_attachment
from ingestion.textclean import clean_text

TEXT_MIN_CHARS = 10
TEXT_MAX_CHARS = 5000


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".png,.jpg,.jpeg,.jfif,.webp,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f]


class CustomerTextField(forms.CharField):
    """Line breaks count once, as the customer sees them.

    Browsers send each line break as CRLF; counted as two characters, a text that fitted the
    page's limit would be refused for being too long.
    """

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n")

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No maxlength attribute: it cuts pasted text off without a word. The server's message
        # says how long the text is, and all of it stays in the box to be shortened.
        attrs: dict[str, Any] = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class ComplaintForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True),
        to_field_name="slug",
        empty_label="Choose what your complaint is about",
        label="What is it about?",
    )
    text = CustomerTextField(
        label="Your complaint",
        widget=forms.Textarea(attrs={"rows": 8, "dir": "auto"}),
        min_length=TEXT_MIN_CHARS,
        max_length=TEXT_MAX_CHARS,
        error_messages={
            "required": "Please tell us what went wrong.",
            "min_length": f"Please tell us a little more (at least {TEXT_MIN_CHARS} characters).",
            "max_length": f"Please shorten your complaint to {TEXT_MAX_CHARS:,} characters "
            "(it has %(show_value)d). Screenshots can show the rest.",
        },
        help_text="What happened, when, and what you would like us to do. Order or account numbers help. "
        f"{TEXT_MIN_CHARS} to {TEXT_MAX_CHARS:,} characters.",
    )
    name = forms.CharField(
        label="Your name",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "dir": "auto"}),
    )
    email = forms.EmailField(
        label="E-mail",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Enter an e-mail address like name@example.com."},
        help_text="We need an e-mail address or a phone number to reply; give either or both.",
    )
    phone = forms.CharField(
        label="Phone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="For example 07700 900123 or +44 7700 900123.",
    )
    attachments = MultipleFileField(
        label="Screenshots (optional)",
        required=False,
        help_text=f"Up to {settings.FORM_MAX_ATTACHMENTS} files: PNG, JPEG, WebP or PDF, "
        f"{settings.FORM_MAX_ATTACHMENT_BYTES // 1_048_576} MB each.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clean_attachments_list: list[CleanAttachment] = []

    def clean_text(self) -> str:
        text = clean_text(self.cleaned_data["text"])
        if len(text) < TEXT_MIN_CHARS:
            raise forms.ValidationError(f"Please tell us a little more (at least {TEXT_MIN_CHARS} characters).")
        return text

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = [c for c in phone if c.isdigit()]
        # "/" separates the area code in German, Austrian and Swiss numbers (030/1234567).
        if phone and (len(digits) < 6 or any(c not in "+0123456789 ()-./" for c in phone)):
            raise forms.ValidationError("Enter a phone number with digits, spaces and an optional leading +.")
        return phone

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        if len(files) > settings.FORM_MAX_ATTACHMENTS:
            raise forms.ValidationError(f"Attach at most {settings.FORM_MAX_ATTACHMENTS} files.")
        cleaned: list[CleanAttachment] = []
        errors: list[str] = []
        for upload in files:
            if upload.size and upload.size > settings.FORM_MAX_ATTACHMENT_BYTES:
                errors.append(
                    f"“{upload.name}” is {upload.size / 1_048_576:.1f} MB; "
                    f"the limit is {settings.FORM_MAX_ATTACHMENT_BYTES // 1_048_576} MB."
                )
                continue
            try:
                cleaned.append(
                    clean_attachment(
                        filename=upload.name or "attachment",
                        data=upload.read(),
                        max_bytes=settings.FORM_MAX_ATTACHMENT_BYTES,
                    )
                )
            except AttachmentRejected as exc:
                errors.append(str(exc))
        if errors:
            raise forms.ValidationError(errors)
        self.clean_attachments_list = cleaned
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("email")
            and not data.get("phone")
            and not self.errors.get("phone")
            and not self.errors.get("email")
        ):
            # On the e-mail field, where the customer's eyes and the screen reader go next.
            self.add_error("email", "Give us an e-mail address or a phone number so that we can reply.")
        return data

    def fingerprint(self) -> str:
        """What makes two sendings of a valid form the same complaint (ingestion/views/form.py)."""
        digest = hashlib.sha256()
        for name in ("category", "text", "name", "email", "phone"):
            value = self.cleaned_data.get(name)
            digest.update(str(getattr(value, "slug", value) or "").encode() + b"\x00")
        for attachment in self.clean_attachments_list:
            digest.update(hashlib.sha256(attachment.data).digest())
        return digest.hexdigest()
