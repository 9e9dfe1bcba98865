"""The real `zapv2` client with a bounded transport: timeouts, typed errors, bounded retries.

`zapv2.ZAPv2._request_api` sends every call through ZAP as an HTTP proxy (`http://zap/JSON/...`) but has no
timeout and turns error answers into the first value of the JSON (`"bad_api_key"` looks like a version
string). We keep every generated endpoint wrapper (paths and parameters come from zapv2 itself) and only
replace that one transport method.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from zapv2 import ZAPv2

from auditor.netguard import WATCHDOG, AddressPolicy, guarded_session, request_scope

T = TypeVar("T")
TRANSIENT_STATUS = (502, 503, 504)


class ZapError(Exception):
    """Base class; the message is one clear line for the check status."""


class ZapUnavailable(ZapError):
    """No answer from ZAP at all (connection refused, reset, timeout, proxy 502...)."""


class ZapApiError(ZapError):
    """ZAP answered with its error JSON: `{"code": "...", "message": "...", "detail": "..."}`."""

    def __init__(self, code: str, message: str, status: int, detail: str = ""):
        self.code, self.status, self.detail = code, status, detail
        super().__init__(f"ZAP API error {code!r} (HTTP {status}): {message}" + (f" [{detail}]" if detail else ""))


class ZapProtocolError(ZapError):
    """The answer is not the ZAP JSON API (an HTML page, another service on that port...)."""


class BoundedZap(ZAPv2):
    def __init__(self, api_url: str, apikey: str | None, timeout_s: float):
        proxies = {"http": api_url, "https": api_url}
        super().__init__(proxies=proxies, apikey=apikey)
        self._ppid_proxies = proxies
        self._ppid_key = apikey
        self._ppid_timeout = timeout_s
        # Each API call ends within `timeout_s` whatever ZAP (or whatever listens on that port) does: the
        # session's sockets are shut down at the deadline (auditor.netguard). ZAP is the operator's own
        # service, usually on loopback: the private-address guard does not apply to it.
        self._ppid_session = guarded_session(pool_maxsize=2)
        # ZAP is addressed directly as the proxy; HTTP(S)_PROXY / NO_PROXY from the environment must not
        # reroute the API key anywhere else.
        self._ppid_session.trust_env = False

    def close(self) -> None:
        self._ppid_session.close()

    def _request_api(self, url, query=None, method="GET", body=None):  # noqa: D401 (zapv2 hook)
        if not url.startswith("http://zap/"):
            raise ValueError("refusing a non-ZAP API URL")  # same guard as zapv2: the key never leaks
        headers = {"X-ZAP-API-Key": self._ppid_key} if self._ppid_key else {}
        ticket = WATCHDOG.arm(time.monotonic() + self._ppid_timeout)
        try:
            with request_scope(ticket, AddressPolicy(allow_private=True)):
                resp = self._ppid_session.request(method, url, params=query, data=body, headers=headers,
                                                  proxies=self._ppid_proxies, timeout=self._ppid_timeout,
                                                  verify=False)
        except requests.RequestException as exc:
            raise ZapUnavailable("timed out" if ticket.expired else _describe(exc)) from None
        finally:
            ticket.close()
        if ticket.expired:  # the answer was cut at the deadline: never parse half a reply
            raise ZapUnavailable(f"timed out (no complete answer within {self._ppid_timeout:g} s)")
        if resp.status_code in TRANSIENT_STATUS:
            raise ZapUnavailable(f"HTTP {resp.status_code} from {self._ppid_proxies['http']}")
        if resp.status_code >= 300:
            raise _api_error(resp)
        return resp

    def _request(self, url, get=None, method="GET", body=None):
        resp = self._request_api(url, get, method, body)
        try:
            data = resp.json()
        except ValueError:
            raise ZapProtocolError(f"not JSON ({resp.headers.get('content-type') or 'no content type'}, "
                                   f"{len(resp.content)} bytes)") from None
        if not isinstance(data, dict) or not data:
            raise ZapProtocolError(f"unexpected JSON {type(data).__name__}")
        if set(data) >= {"code", "message"} and len(data) <= 3:
            raise ZapApiError(str(data["code"]), str(data["message"]), resp.status_code, str(data.get("detail", "")))
        return data


def _api_error(resp: requests.Response) -> ZapError:
    try:
        data = resp.json()
    except ValueError:
        return ZapProtocolError(f"HTTP {resp.status_code} without ZAP error JSON")
    if isinstance(data, dict) and "code" in data:
        return ZapApiError(str(data["code"]), str(data.get("message", "")), resp.status_code,
                           str(data.get("detail", "")))
    return ZapProtocolError(f"HTTP {resp.status_code}: {json.dumps(data)[:120]}")


def _describe(exc: requests.RequestException) -> str:
    text = str(exc)
    for marker, short in (("Connection refused", "connection refused"),
                          ("RemoteDisconnected", "connection closed without a reply"),
                          ("Connection aborted", "connection closed without a reply"),
                          ("Connection reset", "connection reset"),
                          ("timed out", "timed out")):
        if marker in text:
            return short
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return type(exc).__name__


class Caller:
    """Runs zapv2 calls with retries for transient outages, bounded by `retry_s` and the deadline."""

    def __init__(self, zap: BoundedZap, *, retry_s: float, deadline: float,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.zap, self.retry_s, self.deadline = zap, retry_s, deadline
        self.sleep, self.clock = sleep, clock
        self.outages = 0  # transient failures ridden through (for the facts)

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def __call__(self, fn: Callable[..., T], *args: Any, retry_s: float | None = None, **kw: Any) -> T:
        budget = self.retry_s if retry_s is None else retry_s
        give_up = min(self.clock() + budget, self.deadline)
        delay = 0.2
        while True:
            try:
                return fn(*args, **kw)
            except ZapUnavailable:
                if self.clock() + delay > give_up:
                    raise
                self.outages += 1
                self.sleep(delay)
                delay = min(delay * 2, 2.0)
