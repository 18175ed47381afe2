from support import add_args


def test_add_then_total(cpe):
    assert cpe(*add_args()).exit_code == 0
    result = cpe("total")
    assert result.exit_code == 0
    assert result.stdout.strip() == "2.0"
