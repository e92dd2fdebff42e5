"""``archsim validate``: table, --json keys, bad --only is a one-line error."""

import json

from archsim.cli import main


def test_validate_json_rows(capsys):
    assert main(["validate", "--only", "hbm-pim-peak,aim-peak", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["key"] for r in rows] == ["hbm-pim-peak", "aim-peak"]
    for r in rows:
        assert {"paper", "metric", "published", "archsim", "error", "verdict"} <= set(r)
        assert r["verdict"] == "pass"


def test_validate_table_and_errors(capsys):
    assert main(["validate", "--only", "flash-io"]) == 0
    out = capsys.readouterr().out
    assert "published" in out and "verdict" in out and "1 of 1 reproduced" in out
    assert main(["validate", "--only", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err
