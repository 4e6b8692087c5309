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


# -- issue 12, defect 6: the log stays in its file (0600) unless --verbose --------------------------------
def _fresh_logging(fn):
    """Run ``fn`` with TillQR's handlers of earlier tests set aside, and put them back after."""
    root = logging.getLogger()
    before = list(root.handlers)
    for h in before:
        if getattr(h, "_tillqr", False):
            root.removeHandler(h)
    try:
        return fn()
    finally:
        for h in list(root.handlers):
            if getattr(h, "_tillqr", False):
                root.removeHandler(h)
                h.close()
        for h in before:
            if h not in root.handlers:
                root.addHandler(h)


def test_log_warnings_do_not_leak_onto_stderr_without_verbose(tmp_path, capsys):
    from app.config.logs import setup_logging
    from app.config.paths import paths

    def run():
        setup_logging(paths(tmp_path).ensure())
        logging.getLogger("tillqr.test").warning("a warning for the log file only")
        return capsys.readouterr()

    out, err = _fresh_logging(run)
    assert out == "" and err == ""
    assert "a warning for the log file only" in (tmp_path / "logs" / "tillqr.log").read_text(encoding="utf-8")


def test_verbose_echoes_the_log_on_stderr(tmp_path, capsys):
    from app.config.logs import setup_logging
    from app.config.paths import paths

    def run():
        setup_logging(paths(tmp_path).ensure(), verbose=True)
        logging.getLogger("tillqr.test").info("sale abc settled")
        return capsys.readouterr()

    out, err = _fresh_logging(run)
    assert out == "" and "tillqr: INFO: sale abc settled" in err


def test_the_log_file_is_created_0600_and_an_open_one_tightened_with_its_folder(tmp_path):
    import os
    import stat

    from app.config.logs import setup_logging
    from app.config.paths import paths

    logs = tmp_path / "logs"
    logs.mkdir(mode=0o755)
    logs.chmod(0o755)
    old = logs / "tillqr.log"
    old.write_text("an older TillQR's line\n", encoding="utf-8")
    old.chmod(0o644)
    _fresh_logging(lambda: setup_logging(paths(tmp_path).ensure()))
    assert stat.S_IMODE(os.stat(logs).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(old).st_mode) == 0o600
    assert old.read_text(encoding="utf-8").startswith("an older TillQR's line")
