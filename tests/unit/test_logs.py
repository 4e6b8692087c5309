import logging

from app.config.logs import RedactingFilter


def test_authorization_values_are_redacted():
    record = logging.LogRecord(
        "t", logging.WARNING, __file__, 1, "sent %s", ("Authorization: Bearer abc.DEF-123456",), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "sent Authorization: Bearer [redacted]"


def test_ordinary_messages_pass_unchanged():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "sale %s settled", ("abc",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "sale abc settled"


def test_logs_that_cannot_be_written_are_a_warning_on_stderr_not_stdout(tmp_path, capsys):
    """stdout carries a command's output (JSON lines for scripts): a warning there would corrupt it."""
    import logging

    from app.config.logs import setup_logging
    from app.config.paths import Paths

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    root = logging.getLogger()
    before = list(root.handlers)
    for h in before:  # set up once per process: an earlier test's set-up must not hide this one
        if getattr(h, "_tillqr", False):
            root.removeHandler(h)
    try:
        setup_logging(Paths(tmp_path / "c", tmp_path / "d", blocker / "logs"))
        out, err = capsys.readouterr()
        assert out == "" and "cannot write logs" in err
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in before:
            root.addHandler(h)
