"""Security headers: CSP without 'unsafe-inline' for scripts, HSTS and Secure cookies behind one setting,
Permissions-Policy, and no URL built from the request's Host header.

Before the fix, CSP allowed script-src 'unsafe-inline', there was no HSTS or Permissions-Policy, and
/api/openapi.json wrote the Host header into servers[0].url.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import STAFF_PASSWORD, make_staff
from webmap.web.headers import allow_framing_by, content_security_policy


def _script_directive(policy: str) -> str:
    return next(d.strip() for d in policy.split(";") if d.strip().startswith("script-src"))


@pytest.mark.parametrize("path", ["/", "/about", "/partners", "/assets/new", "/needs/new", "/gaps", "/api/docs"])
def test_no_page_allows_inline_scripts_without_the_nonce(sample_app, path):
    response = sample_app.test_client().get(path)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    scripts = _script_directive(policy)
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "http" not in scripts
    assert "object-src 'none'" in policy and "base-uri 'self'" in policy
    html = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", scripts)
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "src=" not in tag:  # every inline script carries this response's nonce
            assert nonce and f'nonce="{nonce.group(1)}"' in tag, tag


def test_map_pages_get_a_fresh_nonce_each_time(sample_app):
    client = sample_app.test_client()
    first, second = (
        re.search(r"'nonce-([^']+)'", client.get("/").headers["Content-Security-Policy"]).group(1) for _ in range(2)
    )
    assert first != second and len(first) >= 22


def test_other_headers_on_every_response(client):
    for path in ("/about", "/api/categories.json", "/export/assets.csv", "/nowhere"):
        headers = client.get(path).headers
        assert "geolocation=(self)" in headers["Permissions-Policy"] and "camera=()" in headers["Permissions-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in headers  # plain HTTP by default (a developer's machine)


def test_one_https_setting_turns_on_hsts_and_secure_cookies(make_app):
    app = make_app(HTTPS=True)
    make_staff(app)
    client = app.test_client()
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/login"}}
    token = re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login", **https).get_data(as_text=True)
    ).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "mod@example.gov.uk", "password": STAFF_PASSWORD}, **https
    )
    assert response.status_code == 302
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2 and all("Secure" in c and "HttpOnly" in c for c in cookies)  # session and known device


def test_https_is_read_from_the_environment(monkeypatch):
    from webmap.core.config import from_environment

    assert from_environment({"WEBMAP_HTTPS": "1", "WEBMAP_TRUSTED_PROXIES": "1"}) == {
        "HTTPS": True,
        "TRUSTED_PROXIES": 1,
    }


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(make_app):
    from flask import request

    app = make_app(TRUSTED_PROXIES=1)
    app.add_url_rule("/whoami-test", "whoami_test", lambda: f"{request.remote_addr} {request.scheme}")
    response = app.test_client().get(
        "/whoami-test", headers={"X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https"}
    )
    assert response.get_data(as_text=True) == "198.51.100.9 https"
    untrusting = make_app()
    untrusting.add_url_rule("/whoami-test", "whoami_test", lambda: request.remote_addr)
    assert (
        untrusting.test_client().get("/whoami-test", headers={"X-Forwarded-For": "198.51.100.9"}).get_data(as_text=True)
        == "127.0.0.1"
    )


def test_a_view_can_widen_framing_for_itself_only(make_app):
    app = make_app()

    def embed():
        allow_framing_by(["https://www.council.example"])
        return "embedded map"

    app.add_url_rule("/embed-test", "embed_test", embed)
    client = app.test_client()
    framed = client.get("/embed-test")
    assert "frame-ancestors 'self' https://www.council.example" in framed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in framed.headers
    assert "frame-ancestors 'self';" in client.get("/about").headers["Content-Security-Policy"]


def test_policy_builder():
    policy = content_security_policy("abc", "https://*.tile.example", ("'self'", "https://a.example"))
    assert "script-src 'self' 'nonce-abc'" in policy
    assert "img-src 'self' data: https://*.tile.example" in policy
    assert "frame-ancestors 'self' https://a.example" in policy
    assert "script-src 'self';" in content_security_policy(None)


def test_api_description_never_uses_the_host_header(client):
    response = client.get("/api/openapi.json", headers={"Host": "evil.example"})
    assert response.get_json()["servers"] == [{"url": "/"}]
    assert "evil.example" not in response.get_data(as_text=True)
    assert "evil.example" not in client.get("/api/docs", headers={"Host": "evil.example"}).get_data(as_text=True)
