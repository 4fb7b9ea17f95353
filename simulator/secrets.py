"""The providers' shared secrets, as the receiving side is configured with them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderSecrets:
    twilio_auth_token: str = ""
    vonage_signature_secret: str = ""
    vonage_signature_method: str = "md5hash"
    meta_app_secret: str = ""
    meta_verify_token: str = ""
    x_consumer_secret: str = ""

    @classmethod
    def from_settings(cls) -> ProviderSecrets:
        from django.conf import settings

        return cls(
            twilio_auth_token=settings.TWILIO_AUTH_TOKEN,
            vonage_signature_secret=settings.VONAGE_SIGNATURE_SECRET,
            vonage_signature_method=settings.VONAGE_SIGNATURE_METHOD or "md5hash",
            meta_app_secret=settings.META_APP_SECRET,
            meta_verify_token=settings.META_VERIFY_TOKEN,
            x_consumer_secret=settings.X_CONSUMER_SECRET,
        )

    def enabled(self, provider: str) -> bool:
        """A provider whose secret is unset is switched off on the server (404): do not send to it."""
        return bool(
            {
                "twilio": self.twilio_auth_token,
                "vonage": self.vonage_signature_secret,
                "meta": self.meta_app_secret,
                "x": self.x_consumer_secret,
                "web_form": "always",
                "calls": "always",
            }.get(provider)
        )
