"""Sending deliveries over HTTP, and retrying the way providers do when the answer is 5xx.

Providers re-deliver on a 5xx, a timeout or a refused connection (Twilio, Meta and X all do), so
the sender does too, with backoff and jitter, bounded in attempts and in time. The form is
sent as a browser would: it fetches the page for its CSRF token, posts, follows the redirect,
and reads the complaint reference off the confirmation page.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests

from simulator.deliveries import Delivery

REFERENCE_RE = re.compile(r"CMP-\d{8}-[0-9A-Z]{5}")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _loopback_only(base_url: str) -> None:
    host = urlsplit(base_url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        # This generator is a load tool: it only ever targets this machine.
        raise ValueError(f"simulated traffic goes to loopback addresses only, not {host!r}")


@dataclass
class Outcome:
    status: int | None = None  # the final answer; None when every attempt failed to connect
    attempts: int = 0
    retried_statuses: list[int] = field(default_factory=list)
    error: str = ""
    first_sent_at: float = 0.0  # time.time() of the first attempt
    sent_at: float = 0.0  # time.time() of the attempt that got the final answer
    answered_at: float = 0.0
    reference: str = ""  # the web form's complaint reference

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


class Sender:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        max_attempts: int = 8,
        retry_window: float = 120.0,
        backoff: float = 0.5,
        seed: int | None = None,
        webhook_base_url: str | None = None,
    ) -> None:
        _loopback_only(base_url)
        self.base_url = base_url.rstrip("/")
        # The providers' deliveries may have a server of their own (docker compose's `webhooks`).
        if webhook_base_url:
            _loopback_only(webhook_base_url)
        self.webhook_base_url = (webhook_base_url or base_url).rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retry_window = retry_window
        self.backoff = backoff
        self._local = threading.local()
        self._rng = random.Random(seed)
        self._stop = threading.Event()

    def stop(self) -> None:
        """Abandon pending retries (the run is over)."""
        self._stop.set()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # never through a proxy: loopback only
            self._local.session = session
            self._local.csrf = ""
        return session

    def send(self, delivery: Delivery) -> Outcome:
        outcome = Outcome(first_sent_at=time.time())
        deadline = time.monotonic() + self.retry_window
        for attempt in range(1, self.max_attempts + 1):
            outcome.attempts = attempt
            outcome.sent_at = time.time()
            try:
                status, reference = self._once(delivery)
                outcome.error = ""
            except requests.RequestException as exc:
                status, reference = None, ""
                outcome.error = type(exc).__name__
            outcome.answered_at = time.time()
            outcome.status, outcome.reference = status, reference
            if status is not None and status not in RETRY_STATUSES:
                return outcome
            if status is not None:
                outcome.retried_statuses.append(status)
            pause = min(self.backoff * 2 ** (attempt - 1), 8.0) * (0.5 + self._rng.random())
            if time.monotonic() + pause > deadline or self._stop.wait(pause):
                break
        return outcome

    def _once(self, d: Delivery) -> tuple[int, str]:
        if d.provider == "web_form":
            return self._form(d)
        base = self.webhook_base_url if d.path.startswith("/webhooks/") else self.base_url
        response = self.session.request(
            d.method,
            base + d.path,
            data=d.body,
            headers=d.headers,
            timeout=self.timeout,
            allow_redirects=False,
        )
        return response.status_code, ""

    def _form(self, d: Delivery) -> tuple[int, str]:
        session = self.session
        url = self.base_url + d.path
        if d.kind == "forged":
            # A cross-site POST carries neither the cookie nor the token: a fresh session, no proxy.
            with requests.Session() as bare:
                bare.trust_env = False
                response = bare.post(url, data=d.form, timeout=self.timeout, allow_redirects=False)
            return response.status_code, ""
        if not self._local.csrf:
            page = session.get(url, timeout=self.timeout)
            if page.status_code != 200:
                return page.status_code, ""
            match = CSRF_RE.search(page.text)
            self._local.csrf = match.group(1) if match else ""
        # Always multipart, as a browser sends a form with a file input (an empty file part when
        # nothing is attached).
        fields = {**(d.form or {}), "csrfmiddlewaretoken": self._local.csrf}
        parts: list[tuple[str, tuple[str | None, bytes | str, str] | tuple[None, str]]] = [
            (k, (None, str(v))) for k, v in fields.items()
        ]
        attached = [("attachments", (name, data, ctype)) for name, data, ctype in d.files]
        parts.extend(attached or [("attachments", ("", b"", "application/octet-stream"))])
        response = session.post(
            url,
            files=parts,
            headers={"Referer": url},
            timeout=self.timeout,
            allow_redirects=False,
        )
        if response.status_code == 403:
            self._local.csrf = ""  # a rotated token: fetch a fresh one on the next attempt
        if response.status_code != 302:
            return response.status_code, ""
        return response.status_code, self._reference(urljoin(url, response.headers["Location"]))

    def _reference(self, location: str) -> str:
        """The reference from the confirmation page (it lives in the session; retried, bounded)."""
        for attempt in range(5):
            try:
                page = self.session.get(location, timeout=self.timeout)
                match = REFERENCE_RE.search(page.text) if page.status_code == 200 else None
                if match:
                    return match.group(0)
            except requests.RequestException:
                pass
            if self._stop.wait(0.5 * 2**attempt):
                break
        return ""
