"""Security headers on every answer of the web application, and the session cookie's flags.

- ``Content-Security-Policy``: scripts, styles, images, fonts and form posts from this site only; no
  inline script (pages bring small JS files from ``web/static``), no plugins, no ``<base>`` tricks,
  and no framing by any site (``frame-ancestors 'none'``: no click-jacking of a sign-in or a save).
  Inline styles are allowed (``<style>`` in the stand-alone verification page, ``style="…"`` on admin
  pages): a style cannot run code, and the pages show no third-party content to restyle.
- ``X-Frame-Options: DENY`` for browsers without CSP level 2, ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: same-origin`` (a verification code in a URL never leaks to another site),
  ``Cross-Origin-Opener-Policy: same-origin``, and ``Cache-Control: no-store`` on pages of signed-in
  users (a shared school computer's back button does not show someone's marks).
- The session cookie is ``HttpOnly`` and ``SameSite=Lax`` always; ``Secure`` when
  ``SODIENTU_SECURE_COOKIES=1`` (behind HTTPS — set it in production; plain-HTTP development needs it off).

See docs/SECURITY.md.
"""

from __future__ import annotations

from flask import Flask, Response, g

DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(DIRECTIVES)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app: Flask) -> None:
    """Add the headers to every response (a view may set its own, stricter, value first)."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if g.get("actor") is not None and response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
