"""One small HTTP GET (for ``manifest.js.gz``) with urllib: http/https only, capped, timed out.

Failures are sorted for the retry loop: 404/410 mean "not there" (``None``), 408, 429
and 5xx or a connection problem are :class:`~.retry.Transient`, other statuses and TLS
certificate problems are permanent :class:`~patchdigest.errors.SyncError`.
"""

from __future__ import annotations

import base64
import http.client
import ssl
import urllib.error
import urllib.request
from typing import IO
from urllib.parse import unquote, urlsplit, urlunsplit

from ..config import redact
from ..errors import SyncError
from .retry import Transient

MAX_BYTES = 32 << 20
_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_USER_AGENT = "patchdigest-sync (+git clone --mirror)"


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only; urllib would also follow one to ftp://."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise SyncError(f"refusing redirect to {redact(newurl)}", where=redact(req.full_url))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def _request(url: str) -> urllib.request.Request:
    """A GET for ``url``; ``user:password@`` in it becomes a Basic Authorization header
    (urllib would otherwise read "user:password@host" as a host with a bad port)."""
    parts = urlsplit(url)
    headers = {"User-Agent": _USER_AGENT}
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        netloc = f"{host}:{parts.port}" if parts.port else host
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return urllib.request.Request(url, headers=headers)


def get(url: str, *, timeout: float = 30.0, max_bytes: int = MAX_BYTES) -> bytes | None:
    """The body at ``url``, or None if the server says it does not exist (404, 410)."""
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise SyncError("only http and https are fetched over the network", where=redact(url))
    try:
        with _OPENER.open(_request(url), timeout=timeout) as response:
            body: bytes = response.read(max_bytes + 1)
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            return None
        reason = f"HTTP {exc.code} {exc.reason}"
        if exc.code in _TRANSIENT_STATUS:
            raise Transient(reason) from exc
        raise SyncError(reason, where=redact(url)) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLCertVerificationError):
            raise SyncError(f"TLS certificate problem: {exc.reason.verify_message}", where=redact(url)) from exc
        raise Transient(f"cannot connect: {exc.reason}") from exc
    except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as exc:
        raise Transient(f"connection failed: {exc or type(exc).__name__}") from exc
    if len(body) > max_bytes:
        raise SyncError(f"response larger than {max_bytes >> 20} MiB", where=redact(url))
    return body
