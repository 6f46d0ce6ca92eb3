import json
from pathlib import Path

import pytest

from tally.cli.main import main


def test_keys_create_list_and_bad_role(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "create", "--role", "viewer", "--name", "dash", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["key"].startswith("tly_") and created["role"] == "viewer"
    assert main(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [k["name"] for k in listed] == ["dash"]
    assert main(["keys", "create", "--role", "god"]) == 2
    err = capsys.readouterr().err
    assert "[invalid_input]" in err and "role" in err
