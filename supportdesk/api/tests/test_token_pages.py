from supportdesk.api.models import ApiToken, hash_token


def test_user_creates_sees_once_and_revokes_a_token(client, cast):
    client.force_login(cast.customer_alpha)
    response = client.post("/api-tokens/", {"name": "monitoring"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=cast.customer_alpha)
    plain = response.context["created"]
    assert hash_token(plain) == token.token_hash
    assert plain in response.content.decode()
    api = client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.status_code == 200

    listing = client.get("/api-tokens/").content.decode()
    assert "monitoring" in listing
    assert plain not in listing  # shown once only

    client.post(f"/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    assert client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


def test_nobody_revokes_or_sees_another_users_token(client, cast):
    client.force_login(cast.customer_alpha)
    client.post("/api-tokens/", {"name": "ivan's"})
    token = ApiToken.objects.get(user=cast.customer_alpha)

    client.force_login(cast.customer_beta)
    assert "ivan&#x27;s" not in client.get("/api-tokens/").content.decode()
    assert client.post(f"/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get("/api-tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_api_docs_are_served_without_a_cdn(client, cast):
    client.force_login(cast.customer_alpha)
    page = client.get("/api/v1/docs").content.decode()
    assert "cdn." not in page
    assert "/static/ninja/swagger-ui-bundle.js" in page
