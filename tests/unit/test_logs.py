import logging

from app.config.logs import RedactingFilter


def test_authorization_values_are_redacted():
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "sent %s", ("Authorization: Bearer abc.DEF-123456",),
                               None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "sent Authorization: Bearer [redacted]"


def test_ordinary_messages_pass_unchanged():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "sale %s settled", ("abc",), None)
    RedactingFilter().filter(record)
    assert record.getMessage() == "sale abc settled"
