"""The four sources and the channels they carry. Values are stored: never rename one."""

from django.db import models


class Source(models.TextChoices):
    WEB_FORM = "web_form", "Website form"
    SMS = "sms", "SMS"
    SOCIAL = "social", "Social media"
    CALL_CENTER = "call_center", "Call centre"


class Channel(models.TextChoices):
    WEB_FORM = "web_form", "Website form"
    SMS = "sms", "SMS"
    FACEBOOK_DM = "facebook_dm", "Facebook DM"
    FACEBOOK_COMMENT = "facebook_comment", "Facebook comment"
    INSTAGRAM_DM = "instagram_dm", "Instagram DM"
    INSTAGRAM_COMMENT = "instagram_comment", "Instagram comment"
    WHATSAPP = "whatsapp", "WhatsApp"
    X_DM = "x_dm", "X DM"
    X_MENTION = "x_mention", "X mention"
    CALL = "call", "Phone call"
