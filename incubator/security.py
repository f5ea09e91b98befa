"""Response hardening applied to every response: CSP and friends, caching, Secure cookies,
``Vary: HX-Request``; and the refusal (400) of any request for a host not in TRUSTED_HOSTS.

Scripts and styles come from our own files only (no inline script, no eval), so the policy
needs no ``unsafe-inline``; htmx is configured to match in ``base.html``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

from .security_log import record

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Headers every answer gets unless its view set its own (a logo's stricter CSP, an export's
# Cache-Control): added in one pass over the response's headers, not one search each
# (docs/performance.md, "Per-request costs").
HARDENING = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
# Pages may carry personal data: never keep them in a cache.
PAGE_HARDENING = (*HARDENING, ("Cache-Control", "no-store"))
HTTPS_HARDENING = (("Strict-Transport-Security", "max-age=31536000"),)


def _harden(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    page = request.endpoint != "static"
    wanted = PAGE_HARDENING if page else HARDENING
    if request.is_secure:
        wanted = (*wanted, *HTTPS_HARDENING)
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    if page:
        # Any page may answer htmx with a fragment (or an error fragment, or HX-Redirect):
        # a cache between must never give one to a browser that asked for the other.
        if "vary" in present:
            response.vary.add("HX-Request")
        else:
            headers["Vary"] = "HX-Request"
    return response


class SecureCookiesOverHttps:
    """WSGI middleware: every cookie set in answer to an HTTPS request is marked Secure.

    It works at the WSGI level because Flask writes the session cookie (and Flask-Login its
    remember cookie) after the ``after_request`` hooks have run.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            headers = [
                (name, value + "; Secure")
                if name.lower() == "set-cookie" and "; secure" not in value.lower()
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, secure_start_response)


UNTRUSTED_HOST = "incubator.untrusted_host"


class TrustedHostsOnly:
    """WSGI middleware: a request whose host (the Host header, or X-Forwarded-Host once
    ProxyFix, outside this one, has applied it) is not in ``TRUSTED_HOSTS`` goes on with the
    base URL's host and a mark that ``refuse_untrusted_host`` turns into the 400 page.

    Flask checks TRUSTED_HOSTS itself, but only while building the URL adapter: the request
    then has none, so its error page cannot build a single URL, and ``before_request`` hooks
    still run. Here every request is checked, static files included, whatever the route reads.
    """

    def __init__(self, wsgi_app, app: Flask):
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        trusted = self.app.config.get("TRUSTED_HOSTS")
        if trusted:
            try:
                get_host(environ, trusted)
            except SecurityError:
                environ[UNTRUSTED_HOST] = environ.get("HTTP_HOST", "")
                environ["HTTP_HOST"] = urlsplit(self.app.config["BASE_URL"]).netloc
        return self.wsgi_app(environ, start_response)


def refuse_untrusted_host() -> None:
    if (host := request.environ.get(UNTRUSTED_HOST)) is not None:
        record("host.refused", host=host[:200])
        abort(400)


def register_trusted_hosts(app: Flask) -> None:
    """Call it right after the security log: the refusal comes before any other hook."""
    app.before_request(refuse_untrusted_host)


def register_security(app: Flask) -> None:
    # From the outside in: ProxyFix (applies X-Forwarded-*), the cookie middleware (sees the
    # scheme the client used), the host check (sees the host the client asked for).
    wsgi_app = SecureCookiesOverHttps(TrustedHostsOnly(app.wsgi_app, app))
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        wsgi_app = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
    app.after_request(_harden)
