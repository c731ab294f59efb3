from supportdesk.accounts.middleware import CONTENT_SECURITY_POLICY


def test_every_page_carries_the_content_security_policy(client, cast):
    for url in ["/accounts/login/", "/api/v1/openapi.json"]:
        response = client.get(url)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_the_users_language_and_time_zone_are_activated(client, cast):
    user = cast.customer_beta
    user.timezone = "Asia/Almaty"
    user.save(update_fields=["timezone"])
    client.force_login(user)
    response = client.get("/tickets/")
    assert response.status_code == 200
    assert response.wsgi_request.LANGUAGE_CODE == "en"
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Asia/Almaty" in html
