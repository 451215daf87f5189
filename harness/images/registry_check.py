"""Does a registry mirror answer? One request to its API root (`GET /v2/`), as `doctor` asks.

The distribution API answers /v2/ with 200, or 401 when it wants a token: both mean a
registry is there. Anything else (refused, no such host, a TLS failure, an HTML page) is the
problem doctor reports, with the mirror's mapping and the fix.
"""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.catalog.registry_mirrors import Mirror
from harness.images.trust import host_ca_bundle

ANSWERS = (200, 401)  # a registry: open, or asking for a token


@dataclass(frozen=True)
class MirrorAnswer:
    mirror: Mirror
    status: int | None  # HTTP status, None when nothing answered
    detail: str  # what answered, or why nothing did

    @property
    def ok(self) -> bool:
        return self.status in ANSWERS


def _context(environ: Mapping[str, str]) -> ssl.SSLContext:
    bundle: Path | None = host_ca_bundle(environ)
    return ssl.create_default_context(cafile=str(bundle) if bundle else None)


def ask(mirror: Mirror, environ: Mapping[str, str], timeout: float = 10.0) -> MirrorAnswer:
    answer = None
    for scheme in mirror.schemes:
        answer = _ask(mirror, f"{scheme}://{mirror.host}/v2/", environ, timeout)
        if answer.status is not None:
            break
    assert answer is not None
    return answer


def _ask(mirror: Mirror, url: str, environ: Mapping[str, str], timeout: float) -> MirrorAnswer:
    request = urllib.request.Request(url, method="GET")
    # A pull-through cache is on the path, not a proxy's customer: go straight to it.
    handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
    if url.startswith("https:"):
        handlers.append(urllib.request.HTTPSHandler(context=_context(environ)))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            api = response.headers.get("Docker-Distribution-Api-Version", "")
    except urllib.error.HTTPError as exc:
        status, api = exc.code, exc.headers.get("Docker-Distribution-Api-Version", "")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return MirrorAnswer(mirror, None, f"{url} did not answer: {reason}")
    if status in ANSWERS:
        return MirrorAnswer(mirror, status, f"{url} answers {status} ({api or 'registry'})")
    return MirrorAnswer(mirror, status, f"{url} answers {status}, not a registry's 200 or 401")
