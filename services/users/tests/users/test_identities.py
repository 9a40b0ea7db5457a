"""One canonical form for usernames and emails (issue 16, finding 10): identical-looking
names are one account, invisible ones are refused, and login finds an account by any
spelling that registration would have stored as the same address.

Every refusal keeps the contract's replies: `400 Sorry. That user already exists.` on
register, the `Sorry. That username/email already exists.` literals on POST /users, and
`400 Invalid payload.` naming the field for a name that cannot be registered at all.
"""

import unicodedata

import pytest
from flask.testing import FlaskClient

from users_service.users.identities import canonical, email_key, username_problem

from services.users.tests.support.contract import assert_invalid_payload
from services.users.tests.support.helpers import PASSWORD, register_body
from services.users.tests.users.conftest import UserPoster

NFD = "jose\u0301"  # e + combining acute
DUPLICATE_REPLIES = {
    ("/auth/register", "username"): "Sorry. That user already exists.",
    ("/auth/register", "email"): "Sorry. That user already exists.",
    ("/users", "username"): "Sorry. That username already exists.",
    ("/users", "email"): "Sorry. That email already exists.",
}
# (first registered, then refused as the same username)
SAME_USERNAMES = {
    "nfc and nfd": ("jos\u00e9", NFD),
    "fullwidth": ("bob", "\uff42\uff4f\uff42"),
    "accented case": ("\u00c9mile", "\u00e9mile"),  # SQLite's lower() folded ASCII only
    "sharp s": ("stra\u00dfe", "STRASSE"),
    "mathematical bold": ("bob", "\U0001d41b\U0001d428\U0001d41b"),
    "double space": ("mary ann", "Mary  Ann"),
}
SAME_EMAILS = {
    "nfc and nfd": ("jos\u00e9@example.com", f"{NFD}@example.com"),
    "fullwidth local part": ("bob@example.com", "\uff42\uff4f\uff42@example.com"),
    "case": ("Alice@Example.com", "alice@EXAMPLE.COM"),
    "punycode domain": ("user@b\u00fccher.de", "user@xn--bcher-kva.de"),
}
REFUSED_USERNAMES = {
    "hangul filler": "admin\u3164",
    "zero width space inside": "ad\u200bmin",
    "only invisible": "\u200b\u2060\ufeff",
    "only hangul fillers": "\u3164\u3164",
    "braille blank": "\u2800",
    "no-break space": "mary\u00a0ann",
    "ideographic space": "mary\u3000ann",
    "cyrillic a in latin": "p\u0430ul",
    "greek omicron in latin": "b\u03bfb",
    "devanagari zero in latin": "b\u0966b",
    "private use": "user\ue000",
    "unassigned": "user\u0378",
    "combining mark alone": "\u0301",
    "variation selector": "bob\ufe0f",
    "tag characters": "bob\U000e0041",
    "too long once normalised": "\ufdfa" * 10,  # 18 characters each under NFKC
}
ACCEPTED_USERNAMES = [
    "jos\u00e9",
    "Mary Ann",
    "\u0418\u0432\u0430\u043d",  # Cyrillic
    "\u0395\u03bb\u03ad\u03bd\u03b7",  # Greek
    "\u5c71\u7530Taro",  # Han with Latin
    "\u3072\u3089\u304c\u306a\u30ab\u30bf\u30ab\u30ca\u6f22\u5b57",  # kana with Han
    "\uae40\ubbfc\uc900",  # Hangul
    "\u0645\u0631\u062d\u0628\u0627\u0663",  # Arabic letters and an Arabic-Indic digit
    "r2-d2 \U0001f916",
]


SAME_IDENTITIES = [
    *[
        pytest.param("username", *pair, id=f"username, {name}")
        for name, pair in SAME_USERNAMES.items()
    ],
    *[pytest.param("email", *pair, id=f"email, {name}") for name, pair in SAME_EMAILS.items()],
]


@pytest.mark.parametrize(("field", "first", "second"), SAME_IDENTITIES)
def test_identical_looking_names_are_one_account(
    post_user: UserPoster, field: str, first: str, second: str
) -> None:
    assert post_user(register_body(1, **{field: first})).status_code == 201
    reply = post_user(register_body(2, **{field: second}))
    assert reply.status_code == 400
    message = DUPLICATE_REPLIES[(post_user.path, field)]
    assert reply.get_json() == {"status": post_user.status, "message": message}


@pytest.mark.parametrize("username", REFUSED_USERNAMES.values(), ids=REFUSED_USERNAMES)
def test_invisible_blank_and_mixed_script_usernames_are_refused(
    post_user: UserPoster, username: str
) -> None:
    assert_invalid_payload(
        post_user(register_body(1, username=username)), post_user.status, "username"
    )


@pytest.mark.parametrize("username", ACCEPTED_USERNAMES)
def test_names_in_one_script_are_accepted(post_user: UserPoster, username: str) -> None:
    reply = post_user(register_body(1, username=username))
    assert reply.status_code == 201, reply.get_json()


@pytest.mark.parametrize(
    "email",
    ["p\u0430ul@example.com", "ivan@ex\u0430mple.com"],
    ids=["cyrillic a in the local part", "cyrillic a in a domain label"],
)
def test_mixed_script_emails_are_refused(post_user: UserPoster, email: str) -> None:
    assert_invalid_payload(post_user(register_body(1, email=email)), post_user.status, "email")


def test_each_part_of_an_email_may_have_its_own_script(post_user: UserPoster) -> None:
    email = "ivan@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"  # ivan@пример.рф
    assert post_user(register_body(1, email=email)).status_code == 201


@pytest.mark.parametrize(
    "spelling",
    [
        f"{NFD}@example.com",
        "JOS\u00c9@EXAMPLE.COM",
        "\uff4aos\u00e9@example.com",  # fullwidth j
        "jos\u00e9@\uff45xample.com",  # fullwidth e in the domain
    ],
    ids=["nfd", "upper case", "fullwidth local part", "fullwidth domain"],
)
def test_login_finds_the_account_by_any_spelling_of_its_email(
    client: FlaskClient, spelling: str
) -> None:
    """Defect: login compared lower() only, so an NFD or otherwise respelled address of an
    existing account answered 404."""
    body = register_body(1, email="jos\u00e9@example.com")
    assert client.post("/auth/register", json=body).status_code == 201
    reply = client.post("/auth/login", json={"email": spelling, "password": PASSWORD})
    assert reply.status_code == 200, reply.get_json()


def test_login_with_a_punycode_domain(client: FlaskClient) -> None:
    body = register_body(1, email="user@b\u00fccher.de")
    assert client.post("/auth/register", json=body).status_code == 201
    reply = client.post(
        "/auth/login", json={"email": "USER@xn--bcher-kva.de", "password": PASSWORD}
    )
    assert reply.status_code == 200


def test_the_stored_names_are_as_given(client: FlaskClient) -> None:
    """The keys decide uniqueness; what the user typed is what the API shows."""
    body = register_body(1, username="\u00c9mile", email="Emile@Example.com")
    assert client.post("/auth/register", json=body).status_code == 201
    listed = client.get("/users").get_json()["data"]["users"][0]
    assert (listed["username"], listed["email"]) == ("\u00c9mile", "Emile@example.com")


# --- the canonical form itself ---


def test_the_canonical_form_is_stable() -> None:
    """Applying it twice changes nothing, over every code point (so a key is its own key)."""
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        key = canonical(f"a{chr(code)}{chr(code)}")
        assert canonical(key) == key, hex(code)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("\uff22\uff2f\uff22", "bob"),
        ("admin\u3164", "admin"),
        ("ad\u200bmin", "admin"),
        ("STRASSE", "strasse"),
        ("stra\u00dfe", "strasse"),
        (NFD, "jos\u00e9"),
        ("  Mary \t Ann ", "mary ann"),
        ("\u2126", "\u03c9"),  # the ohm sign is omega
    ],
)
def test_canonical_keys(text: str, key: str) -> None:
    assert canonical(text) == key


def test_an_email_key_reads_the_address_as_registration_stores_it() -> None:
    assert email_key("USER@xn--bcher-kva.de") == "user@b\u00fccher.de"
    assert email_key(f"{NFD}@EXAMPLE.com") == unicodedata.normalize("NFC", "jos\u00e9@example.com")
    assert email_key("not an address") == "not an address"  # still one rate-limit bucket


def test_the_reasons_name_the_rule() -> None:
    assert username_problem("p\u0430ul") == "must not mix letters of different scripts"
    assert username_problem("\u0301") == "must contain a visible character"
    assert username_problem("paul") is None
