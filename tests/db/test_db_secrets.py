"""No password of a database URL ever reaches an error, a log line, a repr or a model card (issue 13, item 6)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import make_url

from metanas.cli import main
from metanas.db import ExperimentDatabase, safe_url
from metanas.db._engine import display_url, mask_url
from metanas.exceptions import DatabaseOpenError

SECRET = "Sup3rS3cret"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql+psycopg://me:{SECRET}@127.0.0.1:1/exp",  # plain
        f"postgresql+psycopg://me:{SECRET}@x@127.0.0.1:1/exp",  # a password holding '@'
        f"postgresql+psycopg://me:a@{SECRET}@127.0.0.1:1/exp",  # '@' before the secret part
        f"postgresql+psycopg://:{SECRET}@127.0.0.1:1/exp",  # an empty user
        f"postgresql+psycopg://:{SECRET}@host:notaport/exp",  # empty user, does not parse
        f"postgresql+psycopg://me:{SECRET}@host:notaport/exp",  # does not parse
        f"postgresql+psycopg://me:{SECRET}%40x@127.0.0.1:1/exp",  # percent-encoded '@'
        f"postgresql+psycopg://me:{SECRET}/x@127.0.0.1:1/exp",  # a '/' in the password
        f"postgresql+psycopg://me@127.0.0.1:1/exp?password={SECRET}",  # password as a query parameter
        f"nosuchdb://me:{SECRET}@host/x",  # unknown dialect
    ],
)
def test_no_password_in_open_errors_logs_or_cli_output(url, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DatabaseOpenError) as info:
        ExperimentDatabase(url)
    assert SECRET not in str(info.value) and SECRET[3:] not in str(info.value)
    assert main(["db", "show", "--db", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and SECRET not in err
    assert SECRET not in caplog.text
    assert SECRET not in safe_url(url)


def test_a_password_with_an_unencoded_at_sign_is_refused_with_the_fix():
    with pytest.raises(DatabaseOpenError, match="percent-encode.*%40") as info:
        ExperimentDatabase(f"postgresql+psycopg://me:{SECRET}@x@127.0.0.1:1/exp")
    assert "x@127" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("postgresql+psycopg://me:pw@host/db", "postgresql+psycopg://me:***@host/db"),
        ("postgresql+psycopg://:pw@host/db", "postgresql+psycopg://:***@host/db"),
        ("postgresql+psycopg://me:p@w@host/db", "postgresql+psycopg://me:***@host/db"),
        ("postgresql+psycopg://me@host/db", "postgresql+psycopg://me@host/db"),
        ("postgresql+psycopg://me@host/db?password=pw&sslmode=require",
         "postgresql+psycopg://me@host/db?password=***&sslmode=require"),
        ("sqlite:////tmp/a@b/x.db", "sqlite:////tmp/a@b/x.db"),
        ("/tmp/a@b/x.db", "/tmp/a@b/x.db"),
    ],
)
def test_masking_of_each_form(raw, shown):
    assert mask_url(raw) == shown
    assert safe_url(raw) == shown


def test_display_of_parsed_urls_hides_every_password():
    for raw in ("postgresql+psycopg://me:p%40w@host/db", "postgresql+psycopg://:pw@host/db",
                "postgresql+psycopg://me@host/db?password=pw"):
        text = display_url(make_url(raw))
        assert "pw" not in text.replace("psycopg", "") and "p%40w" not in text and "***" in text


@pytest.mark.postgres
def test_a_working_url_with_a_password_is_never_shown(pg_schema_url, caplog):
    """The test server trusts local connections, so a password in the URL is accepted and ignored."""
    url = make_url(pg_schema_url).set(password=SECRET).render_as_string(hide_password=False)
    caplog.set_level(logging.DEBUG)
    with ExperimentDatabase(url) as db:
        assert SECRET not in repr(db) and SECRET in db.url  # .url is the one place that keeps it
        with pytest.raises(Exception) as info:
            db.trajectory(10**6)
        assert SECRET not in str(info.value)
    assert SECRET not in caplog.text
