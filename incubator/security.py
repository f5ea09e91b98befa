"""Response hardening applied to every response: CSP and friends, caching, Secure cookies.

Scripts and styles come from our own files only (no inline script, no eval), so the policy
needs no ``unsafe-inline``; htmx is configured to match in ``base.html``.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _harden(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static":
        # Pages may carry personal data: never keep them in a cache.
        headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
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


def register_security(app: Flask) -> None:
    wsgi_app = SecureCookiesOverHttps(app.wsgi_app)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # ProxyFix outermost, so the cookie middleware sees the scheme the client used.
        hops = app.config["PROXY_FIX"]
        wsgi_app = ProxyFix(wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
    app.after_request(_harden)
