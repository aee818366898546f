from app.db.sqlsplit import split_sql


def test_splits_on_top_level_semicolons_and_keeps_start_lines() -> None:
    script = (
        "-- header\nCREATE TABLE a (x int);\n\n/* block; */ INSERT INTO a VALUES (1);\nSELECT 1"
    )
    statements = split_sql(script)
    assert [(s.line, s.text) for s in statements] == [
        (2, "CREATE TABLE a (x int)"),
        (4, "INSERT INTO a VALUES (1)"),
        (5, "SELECT 1"),
    ]


def test_semicolons_inside_quotes_comments_and_dollar_bodies_do_not_split() -> None:
    script = (
        "SELECT 'a;b', \"c;d\", E'it\\'s;';\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;\n"
        "DO $$ BEGIN PERFORM 1; END $$;\n"
        "-- trailing; comment\n"
        "/* nested /* ; */ still comment; */"
    )
    assert len(split_sql(script)) == 3


def test_a_script_of_comments_has_no_statements() -> None:
    assert split_sql("-- nothing\n/* here */\n;\n") == []
