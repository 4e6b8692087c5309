"""``tillqr qr decode`` and ``tillqr qr build`` (DESIGN.md, "Command-line contract").

    tillqr qr decode PAYLOAD
        prints {"valid", "crc_ok", "scheme", "fields", "errors", "warnings"} as JSON on stdout; exit 0
        when the payload is valid (it may have warnings: what was tolerated, see app/qr/emv.py), 1 when
        not (each reason also on stderr, as is each warning). Never a traceback.
    tillqr qr build pix|paynow|fps|upi [options] [--png FILE] [--svg FILE] [--pdf FILE]
        prints the payload; the files are a print-ready counter sticker (QR with its quiet zone,
        store name, "scan to pay" in the store's language, the scheme's text mark). Exit 1 with
        the reason on stderr when the options cannot make a payload or a file cannot be written.

No Qt is imported for decoding, building or SVG; PNG and PDF stickers are painted by
``app.ui.sticker_render`` (imported only when asked for).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from app.domain.excerpt import excerpt
from app.domain.money import Money, MoneyError
from app.i18n import _
from app.qr.rules import Scheme

SCHEMES = ("pix", "paynow", "fps", "upi")
CURRENCY = {"pix": "BRL", "paynow": "SGD", "fps": "HKD", "upi": "INR"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``qr decode`` and ``qr build`` on the top-level subparsers."""
    qr = sub.add_parser("qr", help=_("decode or build payment QR payloads; print stickers"))
    qsub = qr.add_subparsers(dest="qr_command", required=True)
    dec = qsub.add_parser("decode", help=_("decode an EMV QR payload or a upi://pay link as JSON"))
    dec.add_argument("payload", help=_("the text of the QR code (quote it)"))

    build = qsub.add_parser("build", help=_("print a payload for a scheme; --png/--svg/--pdf write a sticker"))
    bsub = build.add_subparsers(dest="scheme", required=True, metavar="SCHEME")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--name", help=_("the store's name (merchant name; at most 25 characters in EMV codes)"))
    common.add_argument("--amount", help=_('amount in major units, e.g. "12.50" (none: the payer types it)'))
    common.add_argument("--currency", help=_("ISO 4217 code (the scheme's own by default)"))
    out = common.add_argument_group(_("sticker"))
    out.add_argument("--png", metavar="FILE", help=_("write the sticker as PNG (300 dpi)"))
    out.add_argument("--svg", metavar="FILE", help=_("write the sticker as SVG"))
    out.add_argument("--pdf", metavar="FILE", help=_("write the sticker as PDF"))
    out.add_argument(
        "--lang",
        help=_(
            "sticker language(s): pt, en, es, fr, de, ms, zh-hk, zh, hi, or two as en/hi "
            "(default: the language in force, when it has sticker words; else pix pt, paynow/fps en, upi en/hi)"
        ),
    )
    out.add_argument("--store-name", help=_("the name printed on the sticker (default: --name, in full)"))

    pix = bsub.add_parser("pix", parents=[common], help=_("Pix BR Code (Brazil)"))
    who = pix.add_mutually_exclusive_group(required=True)
    who.add_argument("--key", help=_("Pix key (CPF/CNPJ digits, e-mail, +55 phone or random key): a static code"))
    who.add_argument("--location", help=_("the PSP's payload URL: a dynamic code"))
    pix.add_argument("--city", required=True, help=_("merchant city (at most 15 characters)"))
    pix.add_argument("--txid", "--reference", dest="reference", help=_("txid: 1-25 letters and digits (default ***)"))
    pix.add_argument("--description", help=_("text shown to the payer (static codes)"))

    pn = bsub.add_parser("paynow", parents=[common], help=_("PayNow SGQR (Singapore)"))
    who = pn.add_mutually_exclusive_group(required=True)
    who.add_argument("--mobile", help=_("a Singapore mobile number (+65 optional)"))
    who.add_argument("--uen", help=_("the company's UEN"))
    pn.add_argument("--city", default="Singapore", help=_("merchant city (default Singapore)"))
    pn.add_argument("--reference", help=_("reference shown to the payer (bill number, at most 25 characters)"))
    pn.add_argument("--expiry", metavar="YYYY-MM-DD", help=_("last day the code can be paid"))
    edit = pn.add_mutually_exclusive_group()
    edit.add_argument(
        "--editable",
        dest="editable",
        action="store_true",
        default=None,
        help=_("the payer may change the amount (default when there is no amount)"),
    )
    edit.add_argument("--fixed", dest="editable", action="store_false", help=_("the payer may not change the amount"))

    fp = bsub.add_parser("fps", parents=[common], help=_("FPS 轉數快 (Hong Kong)"))
    who = fp.add_mutually_exclusive_group(required=True)
    who.add_argument("--fps-id", help=_("FPS identifier (7-10 digits)"))
    who.add_argument("--mobile", help=_("a Hong Kong mobile number (+852 optional)"))
    who.add_argument("--email", help=_("the e-mail address registered with FPS"))
    fp.add_argument("--city", default="HK", help=_("merchant city (default HK)"))
    fp.add_argument("--reference", help=_("reference label (at most 25 characters)"))
    fp.add_argument("--bill-number", help=_("bill number (at most 25 characters)"))

    up = bsub.add_parser("upi", parents=[common], help=_("UPI (India): a upi://pay link, or --emv for Bharat QR"))
    up.add_argument("--vpa", required=True, help=_("the UPI address, e.g. shop@okbank"))
    up.add_argument("--note", help=_("transaction note (tn), at most 50 characters"))
    up.add_argument("--reference", help=_("transaction reference (tr)"))
    up.add_argument("--mcc", help=_("merchant category code, 4 digits"))
    up.add_argument("--emv", action="store_true", help=_("build the EMV (Bharat QR) form instead of a link"))
    up.add_argument("--city", help=_("merchant city (--emv only; required there)"))
    up.add_argument("--postal-code", help=_("PIN code (--emv only)"))


def dispatch(args: argparse.Namespace) -> int:
    try:
        if args.qr_command == "decode":
            return decode_command(args.payload)
        return build_command(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # stdout's reader is gone: `tillqr` ends quietly (app/__main__.py)
    except Exception as exc:  # noqa: BLE001 - the contract: never a traceback
        _error(f"{type(exc).__name__}: {exc}")
        return 1


def _error(message: str) -> None:
    print(_("error: {message}").format(message=message), file=sys.stderr)


def _warning(message: str) -> None:
    print(_("warning: {message}").format(message=message), file=sys.stderr)


def _print_json(obj: dict[str, Any]) -> None:
    text = json.dumps(obj, ensure_ascii=False)
    try:
        print(text)
    except UnicodeEncodeError:  # a terminal that cannot show the characters: escape them
        print(json.dumps(obj, ensure_ascii=True))


def decode_command(payload: str) -> int:
    from app.qr.emv import decode  # lazy: `tillqr qr` loads only what its subcommand uses

    decoded = decode(payload)
    _print_json(decoded.to_json_dict())
    sys.stdout.flush()
    # (held neutral, app/__main__.py: the reasons read as the JSON's do, whatever the language)
    for error in decoded.errors:
        print(f"invalid: {error}", file=sys.stderr)
    for warning in decoded.warnings:
        print(f"tolerated: {warning}", file=sys.stderr)
    return 0 if decoded.valid else 1


def _amount(args: argparse.Namespace) -> Money | None:
    if args.amount is None:
        return None
    currency = (args.currency or CURRENCY[args.scheme]).upper()
    return Money.parse(args.amount, currency)


def _expiry(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("--expiry must be a date like 2030-12-31, not {text}").format(text=excerpt(text))) from None


def build_payload(args: argparse.Namespace) -> str:
    """The payload the options ask for; ValueError (or MoneyError) with a reason when they cannot."""
    from app.qr import schemes  # lazy: `tillqr qr` loads only what its subcommand uses

    scheme, amount = args.scheme, _amount(args)
    name = args.name
    if scheme == Scheme.PIX:
        if not name:
            raise ValueError(_("--name is required for Pix"))
        common = dict(merchant_name=name, merchant_city=args.city, amount=amount, txid=args.reference or "***")
        if args.key is not None:
            payload = schemes.pix_static(args.key, description=args.description, **common)
            from app.qr.rules import pix_key_problem  # lazy: `tillqr qr` loads only what its subcommand uses

            if problem := pix_key_problem(args.key):
                raise ValueError(f"--key: {problem}")
            return payload
        if args.description:
            raise ValueError(_("--description is for static codes (--key); a dynamic code's text is at its location"))
        return schemes.pix_dynamic(args.location, **common)
    if scheme == Scheme.PAYNOW:
        return schemes.paynow(
            mobile=args.mobile,
            uen=args.uen,
            merchant_name=name or "NA",
            merchant_city=args.city,
            amount=amount,
            editable=args.editable,
            expiry=_expiry(args.expiry),
            reference=args.reference,
        )
    if scheme == Scheme.FPS:
        return schemes.fps(
            fps_id=args.fps_id,
            mobile=args.mobile,
            email=args.email,
            merchant_name=name or "NA",
            merchant_city=args.city,
            amount=amount,
            currency=(args.currency or "HKD"),
            reference=args.reference,
            bill_number=args.bill_number,
        )
    if not name:
        raise ValueError(_("--name (the payee name) is required for UPI"))
    if args.emv:
        if not args.city:
            raise ValueError(_("--city is required for the EMV (Bharat QR) form"))
        return schemes.upi_emv(
            args.vpa,
            merchant_name=name,
            merchant_city=args.city,
            amount=amount,
            reference=args.reference,
            mcc=args.mcc or "0000",
            postal_code=args.postal_code,
        )
    if args.city or args.postal_code:
        raise ValueError(_("--city and --postal-code are for the EMV form (--emv); a upi://pay link has neither"))
    if args.note and len(args.note) > 50:
        raise ValueError(_("--note must be at most 50 characters"))
    return schemes.upi_link(
        args.vpa, payee_name=name, amount=amount, note=args.note, reference=args.reference, mcc=args.mcc
    )


def shortened(args: argparse.Namespace) -> list[str]:
    """What the EMV limits cut from --name (25 characters) and --city (15), in words for a warning."""
    from app.qr.schemes import ascii_text  # lazy: `tillqr qr` loads only what its subcommand uses

    if args.scheme == Scheme.UPI and not args.emv:
        return []  # a upi://pay link has no such limits
    found = []
    for option, value, limit in (("--name", args.name, 25), ("--city", args.city, 15)):
        plain = ascii_text(value) if isinstance(value, str) else ""
        if len(plain) > limit:
            found.append(
                _(
                    "{option} is longer than the QR standard's {limit} characters: the code carries {kept} (cut: {cut})"
                ).format(option=option, limit=limit, kept=repr(plain[:limit].rstrip()), cut=excerpt(plain[limit:]))
            )
    return found


def build_command(args: argparse.Namespace) -> int:
    try:
        payload = build_payload(args)
    except (ValueError, MoneyError) as exc:
        _error(str(exc))
        return 1
    for warning in shortened(args):
        _warning(warning)
    files = [(kind, getattr(args, kind)) for kind in ("svg", "png", "pdf") if getattr(args, kind)]
    if files:
        from app.qr.sticker import layout, to_svg  # lazy: `tillqr qr` loads only what its subcommand uses

        store = args.store_name or args.name
        if not store:
            _error(_("a sticker needs the store's name: give --name (or --store-name)"))
            return 1
        try:
            card = layout(payload, store_name=store, lang=args.lang)
        except ValueError as exc:
            _error(str(exc))
            return 1
        warnings: list[str] = []
        for kind, path in files:
            try:
                if kind == "svg":
                    with open(path, "w", encoding="utf-8") as fh:
                        fh.write(to_svg(card))
                else:
                    from app.ui import sticker_render  # lazy: `tillqr qr` loads only what its subcommand uses

                    if kind == "png":
                        warnings += sticker_render.render_png(card, path)[1]
                    else:
                        warnings += sticker_render.render_pdf(card, path)
            except OSError as exc:
                _error(
                    _("cannot write the {kind} sticker to {file}: {reason}").format(
                        kind=kind.upper(), file=path, reason=exc
                    )
                )
                return 1
        for warning in dict.fromkeys(warnings):
            _warning(warning)
    print(payload)
    return 0
