"""Signing in and out through the real pages, with CSRF on, as a browser would."""

from conftest import PASSWORD


def test_sign_in_page_has_labelled_fields_and_no_external_resources(client):
    page = client.get("/auth/signin").get_data(as_text=True)
    assert '<label for="name">' in page and '<label for="password">' in page
    assert 'autocomplete="current-password"' in page
    assert "https://" not in page and "http://" not in page and 'src="//' not in page


def test_sign_in_without_csrf_token_is_refused(auth, client):
    auth.create("anna", "historian")
    response = client.post("/auth/signin", data={"name": "anna", "password": PASSWORD})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_wrong_password_shows_the_form_again_with_the_name_kept(auth):
    auth.create("anna", "historian")
    response = auth.sign_in("anna", "not the password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "do not match" in page and 'value="anna"' in page and "not the password" not in page


def test_empty_form_names_each_missing_field(auth):
    response = auth.sign_in("", "")
    page = response.get_data(as_text=True)
    assert "Enter your account name." in page and "Enter your password." in page


def test_sign_in_renews_the_session_and_sign_out_invalidates_it(app, auth, client):
    auth.create("anna", "historian")
    auth.create("boris", "researcher")
    response = auth.sign_in("anna")
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    first = client.get_cookie("session").value
    assert "anna" in client.get("/").get_data(as_text=True)

    assert auth.sign_in("boris").status_code == 302  # signing in again replaces the session
    second = client.get_cookie("session").value
    assert second != first
    replay = app.test_client()
    replay.set_cookie("session", first)
    assert "Sign in</a>" in replay.get("/").get_data(as_text=True)  # anna's old session no longer works

    assert auth.logout().status_code == 302
    replay.set_cookie("session", second)
    page = replay.get("/").get_data(as_text=True)
    assert "boris" not in page and "Sign in</a>" in page  # a copy of the cookie died with the sign-out


def test_sign_out_needs_a_post_with_csrf(auth, client):
    auth.login("historian")
    assert client.get("/auth/signout").status_code == 405
    assert client.post("/auth/signout").status_code == 400
    assert "historian" in client.get("/").get_data(as_text=True)


def test_sign_in_is_throttled_with_retry_after(app, auth):
    app.config["ARCHIVE_SIGNIN_MAX_FAILURES"] = 2
    auth.create("anna", "historian")
    assert auth.sign_in("anna", "wrong password 1").status_code == 401
    assert auth.sign_in("anna", "wrong password 2").status_code == 401
    response = auth.sign_in("anna")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)


def test_next_is_followed_only_within_the_site(auth):
    auth.create("anna", "historian")
    for target, expected in [
        ("/auth/signin", "/auth/signin"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ]:
        response = auth.sign_in("anna", query_string={"next": target})
        assert response.headers["Location"] == expected, target


def test_bearer_token_identifies_a_script(app, client, runner):
    auth_result = runner("user", "add", "anna", "--role", "researcher", input=PASSWORD + "\n")
    assert auth_result.exit_code == 0
    token = runner("user", "token", "anna").stdout.splitlines()[-1]
    page = client.get("/", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert "anna" in page
    bad = client.get("/api/v1/anything", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["code"] == "unauthorized" and bad.get_json()["detail"]


def test_unknown_page_is_a_readable_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.get_data(as_text=True)


def test_signing_in_from_a_page_returns_to_it(client, auth):
    """The sign-in link of every page brings the reader back to where they were, its arguments kept."""
    import html
    import re

    auth.create("anna", "historian")
    page = client.get("/media/?village=ushtobe&lang=ru").get_data(as_text=True)
    link = html.unescape(re.search(r'<a href="(/auth/signin[^"]*)"', page).group(1))
    assert link == "/auth/signin?next=/media/?village%3Dushtobe"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(link).get_data(as_text=True))
    answer = client.post(link, data={"name": "anna", "password": PASSWORD, "csrf_token": token.group(1)})
    assert answer.status_code == 302 and answer.location == "/media/?village=ushtobe"
