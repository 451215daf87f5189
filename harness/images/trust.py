"""Trust-store and proxy pass-through for containers that need the network.

Corporate networks (and this project's own machines) re-sign TLS: a container reaches PyPI
only when it trusts the host's CA bundle. Build and provisioning containers that need the
network get the bundle mounted read-only at one path, named by every variable the usual
tools read, plus the host's proxy settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

CONTAINER_CA_PATH = "/opt/manylinux-harness/ca-bundle.pem"
_CA_VARIABLES = ("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")
_HOST_CA_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
)


@dataclass(frozen=True)
class Passthrough:
    ca_bundle: Path | None
    env: Mapping[str, str]

    def without_bundle(self) -> Passthrough:
        """Proxies only: for a container on a remote engine, which cannot see this host's
        files (and where nothing copies the bundle in, its own trust store applies)."""
        env = {k: v for k, v in self.env.items() if k not in _CA_VARIABLES}
        return Passthrough(ca_bundle=None, env=env)

    def docker_create_args(self) -> list[str]:
        """The same, as `docker create` arguments (for cibuildwheel's create_args)."""
        args = []
        if self.ca_bundle is not None:
            args.append(f"--volume={self.ca_bundle}:{CONTAINER_CA_PATH}:ro")
        args += [f"--env={key}={value}" for key, value in sorted(self.env.items())]
        return args


def host_ca_bundle(environ: Mapping[str, str], exists=Path.is_file) -> Path | None:
    """The host's CA bundle: an explicitly configured one first, then the usual places."""
    for variable in ("MANYLINUX_HARNESS_CA_BUNDLE", *_CA_VARIABLES):
        value = environ.get(variable)
        if value and exists(Path(value)):
            return Path(value)
    for candidate in _HOST_CA_CANDIDATES:
        if exists(Path(candidate)):
            return Path(candidate)
    return None


def passthrough(environ: Mapping[str, str], exists=Path.is_file) -> Passthrough:
    ca_bundle = host_ca_bundle(environ, exists)
    env: dict[str, str] = {}
    if ca_bundle is not None:
        env.update({variable: CONTAINER_CA_PATH for variable in _CA_VARIABLES})
    for variable in _PROXY_VARIABLES:
        for name in (variable, variable.lower()):
            if environ.get(name):
                env[name] = environ[name]
    return Passthrough(ca_bundle=ca_bundle, env=env)
