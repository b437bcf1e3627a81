"""/admin/users as an administrator uses it: add a user, change a role, reset a password, disable and enable.

One user per role (`viewer1` … `admin1`) on the store of test_web_workspace; the page changes users
through the functions `creditbridge users ...` calls, so the store and the audit log are checked,
and so is what the changed user can do afterwards (sign in, open a page).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from creditbridge.sync.store import Store
from creditbridge.sync.web import roles
from creditbridge.sync.web.users import LockoutRefused, add_user, authenticate, list_users, set_disabled, set_role

from .test_web_workspace import audit_actions, browser, cheap_hashes, csrf_on, password_of, sign_in

__all__ = ["cheap_hashes"]  # the autouse fixture, imported so it applies here too

SQLITE_ONLY = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        for role in roles.ROLES:
            add_user(opened.engine, f"{role}1", password_of(f"{role}1"), role, actor="test")
        yield opened


def post(client: TestClient, path: str, **form: str) -> object:
    csrf = csrf_on(client.get("/dashboard").text)
    return client.post(path, data={"csrf": csrf, **form}, follow_redirects=False)


def user(store: Store, name: str) -> tuple[str, bool]:
    found = {u.username: u for u in list_users(store.engine)}[name]
    return found.role, found.disabled


def can_sign_in(store: Store, name: str, password: str) -> bool:
    client = browser(store)
    token = csrf_on(client.get("/login").text)
    response = client.post("/login", data={"username": name, "password": password, "csrf": token},
                           follow_redirects=False)  # fmt: skip
    return response.status_code == 303


def test_the_page_lists_users_with_role_and_last_sign_in(store: Store) -> None:
    sign_in(browser(store), "viewer1")
    page = sign_in(browser(store), "admin1").get("/admin/users")
    assert page.status_code == 200
    rows = {name: page.text.split(f">{name}</td>", 1)[1].split("</tr>", 1)[0] for name in ("viewer1", "collector1")}
    assert "viewer" in rows["viewer1"] and "active" in rows["viewer1"]
    assert rows["viewer1"].count("20") >= 2  # added and last signed in: two dates
    assert '<span class="muted">—</span>' in rows["collector1"]  # never signed in
    assert 'href="/admin/users"' in page.text  # the nav link


def test_an_admin_adds_a_user_who_can_then_sign_in(store: Store) -> None:
    client = sign_in(browser(store), "admin1")
    response = post(client, "/admin/users", username="dora", role="collector", password="doras-first-pw")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert user(store, "dora") == ("collector", False)
    assert ("admin1", "user_added", "ok") in audit_actions(store)
    assert can_sign_in(store, "dora", "doras-first-pw")
    assert "dora added" in client.get(response.headers["location"]).text  # type: ignore[attr-defined]


@SQLITE_ONLY
@pytest.mark.parametrize(("name", "role", "password", "says"), [
    ("eve", "collector", "short", "at least 10 characters"),
    ("VIEWER1", "viewer", "long-enough-pw", "already a user"),
    ("eve", "root", "long-enough-pw", "unknown role"),
    ("e ve", "viewer", "long-enough-pw", "no spaces"),
])  # fmt: skip
def test_a_user_that_cannot_be_added_is_400_and_adds_nobody(store: Store, name: str, role: str, password: str,
                                                             says: str) -> None:  # fmt: skip
    response = post(sign_in(browser(store), "admin1"), "/admin/users", username=name, role=role, password=password)
    assert response.status_code == 400 and says in response.text  # type: ignore[attr-defined]
    assert [u.username for u in list_users(store.engine)] == [f"{r}1" for r in sorted(roles.ROLES)]


def test_a_new_role_applies_to_the_users_open_session_at_once(store: Store) -> None:
    viewer = sign_in(browser(store), "viewer1")
    assert viewer.get("/conflicts").status_code == 403
    response = post(sign_in(browser(store), "admin1"), "/admin/users/viewer1/role", role="analyst")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert user(store, "viewer1") == ("analyst", False)
    assert viewer.get("/conflicts").status_code == 200
    assert ("admin1", "role_changed", "ok") in audit_actions(store)


@SQLITE_ONLY
def test_an_admin_cannot_remove_their_own_admin_role_nor_disable_themselves(store: Store) -> None:
    client = sign_in(browser(store), "admin1")
    demoted = post(client, "/admin/users/admin1/role", role="approver")
    disabled = post(client, "/admin/users/admin1/disable")
    assert demoted.status_code == 409 and "another admin must" in demoted.text  # type: ignore[attr-defined]
    assert disabled.status_code == 409  # type: ignore[attr-defined]
    assert user(store, "admin1") == ("admin", False)
    assert client.get("/admin/users").status_code == 200


@SQLITE_ONLY
def test_the_last_enabled_admin_keeps_the_role_whoever_asks(store: Store) -> None:
    with pytest.raises(LockoutRefused, match="last enabled admin"):
        set_role(store.engine, "admin1", "viewer", actor="cli:root")
    with pytest.raises(LockoutRefused, match="last enabled admin"):
        set_disabled(store.engine, "admin1", True, actor="cli:root")
    add_user(store.engine, "admin2", password_of("admin2"), "admin", actor="test")
    response = post(sign_in(browser(store), "admin2"), "/admin/users/admin1/role", role="approver")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert user(store, "admin1") == ("approver", False)


def test_a_reset_password_ends_the_users_sessions(store: Store) -> None:
    collector = sign_in(browser(store), "collector1")
    response = post(sign_in(browser(store), "admin1"), "/admin/users/collector1/password", password="a-new-password")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert collector.get("/dashboard", follow_redirects=False).status_code == 303  # signed out: to /login
    assert can_sign_in(store, "collector1", "a-new-password")
    assert not can_sign_in(store, "collector1", password_of("collector1"))
    assert ("admin1", "password_changed", "ok") in audit_actions(store)


@SQLITE_ONLY
def test_a_disabled_user_is_signed_out_and_cannot_sign_in_until_enabled(store: Store) -> None:
    approver = sign_in(browser(store), "approver1")
    admin = sign_in(browser(store), "admin1")
    assert post(admin, "/admin/users/approver1/disable").status_code == 303  # type: ignore[attr-defined]
    assert user(store, "approver1") == ("approver", True)
    assert approver.get("/dashboard", follow_redirects=False).status_code == 303
    assert not can_sign_in(store, "approver1", password_of("approver1"))
    assert authenticate(store.engine, "approver1", password_of("approver1")) is None
    assert "disabled" in admin.get("/admin/users").text
    assert post(admin, "/admin/users/approver1/enable").status_code == 303  # type: ignore[attr-defined]
    assert can_sign_in(store, "approver1", password_of("approver1"))
    assert [a for a in audit_actions(store) if a[0] == "admin1" and a[1].startswith("user_")] == [
        ("admin1", "user_disabled", "ok"), ("admin1", "user_enabled", "ok")]  # fmt: skip


@SQLITE_ONLY
def test_an_unknown_user_is_404(store: Store) -> None:
    admin = sign_in(browser(store), "admin1")
    assert post(admin, "/admin/users/nobody/role", role="viewer").status_code == 404  # type: ignore[attr-defined]
    assert post(admin, "/admin/users/nobody/password", password="long-enough-pw").status_code == 404  # type: ignore[attr-defined]
    assert post(admin, "/admin/users/nobody/disable").status_code == 404  # type: ignore[attr-defined]
    assert post(admin, "/admin/users/viewer1/delete").status_code == 404  # type: ignore[attr-defined]


@SQLITE_ONLY
@pytest.mark.parametrize("role", [r for r in roles.ROLES if r != "admin"])
def test_only_admins_manage_users(store: Store, role: str) -> None:
    client = sign_in(browser(store), f"{role}1")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users.csv").status_code == 403
    for path, form in (("/admin/users", {"username": "mallory", "role": "admin", "password": "long-enough-pw"}),
                       (f"/admin/users/{role}1/role", {"role": "admin"}), ("/admin/users/admin1/disable", {}),
                       ("/admin/users/admin1/password", {"password": "long-enough-pw"})):  # fmt: skip
        assert post(client, path, **form).status_code == 403  # type: ignore[attr-defined]
    assert [(u.username, u.role, u.disabled) for u in list_users(store.engine)] == [
        (f"{r}1", r, False) for r in sorted(roles.ROLES)]  # fmt: skip
    assert 'href="/admin/users"' not in client.get("/dashboard").text


@SQLITE_ONLY
def test_the_user_list_exports(store: Store) -> None:
    client = sign_in(browser(store), "admin1")
    csv = client.get("/admin/users.csv?q=approver")
    assert csv.status_code == 200
    assert csv.text.splitlines() == ["username,role,state,created,last_sign_in",
                                     csv.text.splitlines()[1]] and csv.text.splitlines()[1].startswith("approver1,")  # fmt: skip
    assert client.get("/admin/users.xlsx").status_code == 200
