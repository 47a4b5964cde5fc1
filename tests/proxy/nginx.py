"""nginx for `tox -e proxy`: found (or installed), configured from docs/nginx.conf,
run in the foreground on a free loopback port with a certificate made for the run.

    python -m tests.proxy.nginx    # finds nginx, installs it if it may; says so if not

It is found on PATH or in /usr/sbin; when missing, Debian's `nginx-light` is
installed if we are root and apt-get is there, unless NOTES_NGINX_INSTALL=no.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from notes.process import LOOPBACK, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "nginx.conf"
NGINX_ENV = "NOTES_NGINX"
INSTALL_ENV = "NOTES_NGINX_INSTALL"
PACKAGE = "nginx-light"
SEARCHED = (None, "/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin")
CERTIFICATE_DAYS = "2"


class NginxUnavailable(RuntimeError):
    """nginx is not here and cannot be installed; the message says what to do."""


def find_nginx() -> str | None:
    given = os.environ.get(NGINX_ENV)
    if given:
        return given if Path(given).is_file() else None
    for folder in SEARCHED:
        found = shutil.which("nginx", path=folder)
        if found is not None:
            return found
    return None


def _install() -> None:
    apt_get = shutil.which("apt-get")
    if os.environ.get(INSTALL_ENV, "").lower() in {"no", "0", "off", "false"}:
        raise NginxUnavailable(f"nginx is not installed and {INSTALL_ENV} forbids installing it")
    if apt_get is None or os.geteuid() != 0:
        raise NginxUnavailable(
            f"nginx is not installed; install it (apt-get install {PACKAGE}) or set {NGINX_ENV}"
        )
    print(f"tests.proxy: nginx not found; installing Debian's {PACKAGE}", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt_get, "install", "-y", "-q", "--no-install-recommends", PACKAGE]
    if subprocess.call(install, env=env) != 0:
        # A fresh machine may not have the package lists yet.
        subprocess.call([apt_get, "update", "-q"], env=env)
        if subprocess.call(install, env=env) != 0:
            raise NginxUnavailable(f"apt-get could not install {PACKAGE}")


def ensure_nginx() -> str:
    """The path of nginx, installed first if it is missing and that is allowed."""
    found = find_nginx()
    if found is None:
        _install()
        found = find_nginx()
    if found is None:
        raise NginxUnavailable(f"{PACKAGE} was installed but no nginx binary was found")
    return found


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (openssl)."""
    certificate, key = folder / "proxy.crt", folder / "proxy.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256"),
            *("-days", CERTIFICATE_DAYS, "-subj", "/CN=notes proxy test"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
            *("-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def render_site(upstreams: Sequence[str], *, port: int, certificate: Path, key: Path) -> str:
    """docs/nginx.conf with its placeholders filled in (its comments left as they are)."""
    values = {
        "@UPSTREAM_SERVERS@": "\n    ".join(f"server {address};" for address in upstreams),
        "@LISTEN@": f"{LOOPBACK}:{port}",
        "@SERVER_NAME@": LOOPBACK,
        "@CERTIFICATE@": str(certificate),
        "@CERTIFICATE_KEY@": str(key),
    }
    lines = []
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if not line.lstrip().startswith("#"):
            for placeholder, value in values.items():
                line = line.replace(placeholder, value)
        lines.append(line)
    return "\n".join(lines) + "\n"


def main_config(folder: Path, site: Path) -> str:
    """What the test adds around the shipped file: nginx in the foreground, every path
    of its own in `folder`, logs to its stderr."""
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # As root, nginx's workers would run as nobody, who cannot reach the temp folders
    # inside pytest's private one: they run as the user running the test.
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""
{user}
daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log stderr notice;
events {{ worker_connections 1024; }}
http {{
    access_log /dev/stderr;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""


def nginx_process(nginx: str, folder: Path, upstreams: Sequence[str]) -> ServerProcess:
    """nginx on a free port in front of `upstreams`; start it with `.start()`."""
    certificate, key = make_certificate(folder)
    config = folder / "nginx.conf"

    def command(port: int) -> list[str]:
        site = folder / "notes-site.conf"
        site.write_text(render_site(upstreams, port=port, certificate=certificate, key=key))
        config.write_text(main_config(folder, site))
        return [nginx, "-p", str(folder), "-e", "stderr", "-c", str(config)]

    return ServerProcess(
        command,
        log_path=folder / "nginx.log",
        ready_path="/health/ready",
        tls_ca=certificate,
    )


def main() -> int:
    try:
        print(f"tests.proxy: nginx is {ensure_nginx()}")
    except NginxUnavailable as error:
        print(f"tests.proxy: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
