"""DB_SSLROOTCERT: where libpq finds the CA that signed the database server's certificate."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from app.settings import load_settings

BASE = {"DB_HOST": "db.internal", "DB_USER": "app", "DB_PASS": "pw", "SECRET_KEY": "k" * 20}


def test_sslrootcert_joins_sslmode_in_the_database_url() -> None:
    settings = load_settings(
        BASE | {"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": "/etc/crowdsource/db-ca/ca.crt"}
    )
    assert settings.database_url is not None
    assert settings.database_url.endswith(
        "?sslmode=verify-full&sslrootcert=/etc/crowdsource/db-ca/ca.crt"
    )
    parts = conninfo_to_dict(settings.database_url)
    assert parts["sslrootcert"] == "/etc/crowdsource/db-ca/ca.crt"
    assert parts["sslmode"] == "verify-full"


def test_sslrootcert_system_uses_the_system_store() -> None:
    settings = load_settings(BASE | {"DB_SSLMODE": "verify-full", "DB_SSLROOTCERT": "system"})
    assert settings.database_url is not None
    assert conninfo_to_dict(settings.database_url)["sslrootcert"] == "system"


def test_without_tls_settings_the_url_has_no_query() -> None:
    settings = load_settings(BASE)
    assert settings.database_url == "postgresql://app:pw@db.internal:5432/crowdsource"


def test_a_path_with_odd_characters_is_quoted() -> None:
    settings = load_settings(BASE | {"DB_SSLROOTCERT": "/certs/my ca&x.pem"})
    assert settings.database_url is not None
    assert conninfo_to_dict(settings.database_url)["sslrootcert"] == "/certs/my ca&x.pem"
