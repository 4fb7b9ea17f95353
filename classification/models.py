"""The complaint taxonomy (admin-editable) used by the web form and the classifier."""

from __future__ import annotations

from django.db import models


class Category(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True, help_text="Offered on the web form.")
    position = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Feedback(models.Model):
    """An agent's correction, kept as a labelled example for the next training run."""

    class Task(models.TextChoices):
        COMPLAINT = "complaint", "Complaint or not"
        CATEGORY = "category", "Category"

    text = models.TextField()
    task = models.CharField(max_length=20, choices=Task.choices)
    label = models.CharField(max_length=50, help_text="complaint | not_complaint, or a category slug")
    previous_label = models.CharField(max_length=50, blank=True, help_text="What the model said.")
    reason = models.CharField(max_length=20, blank=True, help_text="For not_complaint: spam, joke, praise, ...")
    model_version = models.CharField(max_length=100, blank=True)
    message_id = models.UUIDField(null=True, blank=True)
    complaint_id = models.UUIDField(null=True, blank=True)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["task", "created_at"], name="feedback_task_created")]

    def __str__(self) -> str:
        return f"{self.task}={self.label}"
