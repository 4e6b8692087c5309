"""The texts Python's argparse shows a user, marked here so that `make translations` carries them in TillQR's
catalogue (``cli_support.speak_argparse`` makes it gettext's default domain, where argparse looks them up).

They are argparse's msgids exactly as Python 3.11 writes them (``%`` placeholders are filled by argparse);
``tests/unit/test_cli_language.py`` checks that every one argparse of the running Python shows a user is here.
Its programming errors ("conflicting subparser", "dest= is required", …) are for developers and stay English.
"""

from __future__ import annotations

from app.i18n import LazyText, lazy_

WORDS: tuple[LazyText, ...] = (
    lazy_("usage: "),
    lazy_("positional arguments"),
    lazy_("options"),
    lazy_("show this help message and exit"),
    lazy_("argument %(argument_name)s: %(message)s"),
    lazy_("unrecognized arguments: %s"),
    lazy_("not allowed with argument %s"),
    lazy_("ignored explicit argument %r"),
    lazy_("the following arguments are required: %s"),
    lazy_("one of the arguments %s is required"),
    lazy_("expected one argument"),
    lazy_("expected at most one argument"),
    lazy_("expected at least one argument"),
    lazy_("ambiguous option: %(option)s could match %(matches)s"),
    lazy_("unexpected option string: %s"),
    lazy_("invalid %(type)s value: %(value)r"),
    lazy_("invalid choice: %(value)r (choose from %(choices)s)"),
    lazy_("unknown parser %(parser_name)r (choices: %(choices)s)"),
    lazy_("can't open '%(filename)s': %(error)s"),
)
