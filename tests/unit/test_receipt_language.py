"""Receipts and the end-of-shift report in the store's language: every printed label in its words, amounts
and times in its formats (a receipt in Hindi with rupee amounts, a shift report in Spanish)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.i18n import set_language
from app.receipts.layout import cells, receipt_lines, receipt_of
from app.receipts.shift import ShiftStart, build_report, report_lines

AT = datetime(2026, 11, 25, 14, 3, tzinfo=UTC)


def a_sale(amount: str, currency: str, status: SaleStatus, *, refunded: str = "0", cashier: str = "") -> Sale:
    base = Sale.new(Money.parse(amount, currency), "razorpay", "table 4")
    return Sale(
        sale_id=base.sale_id,
        amount=base.amount,
        provider="razorpay",
        reference="table 4",
        status=status,
        request_id="qr_" + base.sale_id[:12],
        amount_received=base.amount if status is not SaleStatus.LINKED else Money(0, currency),
        amount_refunded=Money.parse(refunded, currency, allow_zero=True),
        created_at=AT,
        cashier=cashier,
    )


def test_a_receipt_in_hindi_has_hindi_labels_rupee_amounts_and_fits_its_columns():
    set_language("hi")
    sale = a_sale("1234.50", "INR", SaleStatus.PARTIALLY_REFUNDED, refunded="34.50")
    lines = receipt_lines(receipt_of(sale, "Chai Corner", "Pune", tz=UTC), 32)
    text = "\n".join(lines)
    for words in ("तारीख", "बिक्री", "राशि", "प्राप्त", "स्थिति", "आंशिक धनवापसी", "यह कर दस्तावेज़ नहीं है"):
        assert words in text, words
    assert "₹1,234.50" in text and "₹34.50" in text  # the rupee, the Indian grouping of hi
    assert "25/11/26" in text and "pm" in text  # hi's short date and its 12-hour clock
    assert "Date" not in text and "Amount" not in text and "INR 1234.50" not in text
    assert all(cells(line) <= 32 for line in lines)  # vowel signs take no column: the amounts stay right-aligned
    amount_line = next(line for line in lines if line.startswith("राशि"))
    assert cells(amount_line) == 32 and amount_line.endswith("₹1,234.50")


def test_a_receipt_in_hindi_of_a_real_sale_in_reais_says_the_sale_s_currency_in_hindi_formats():
    set_language("hi")
    lines = receipt_lines(receipt_of(a_sale("12.50", "BRL", SaleStatus.SETTLED), "Loja", "", tz=UTC), 48)
    assert any(line.startswith("राशि") and line.endswith("R$12.50") for line in lines)
    assert any("भुगतान हुआ" in line for line in lines)  # "Paid"
    set_language("")
    lines = receipt_lines(receipt_of(a_sale("12.50", "BRL", SaleStatus.SETTLED), "Loja", "", tz=UTC), 48)
    assert any(line.startswith("Amount") and line.endswith("BRL 12.50") for line in lines)


def test_the_end_of_shift_report_in_spanish():
    set_language("es")
    sales = [
        a_sale("20.00", "BRL", SaleStatus.SETTLED, cashier="Ana"),
        a_sale("30.00", "BRL", SaleStatus.PARTIALLY_REFUNDED, refunded="10.00", cashier="Ana"),
        a_sale("5.00", "BRL", SaleStatus.LINKED),
    ]
    refunds = [
        {"updated_at": (AT + timedelta(minutes=5)).isoformat(), "provider": "razorpay", "currency": "BRL",
         "amount_minor": 1000, "cashier_name": "Ana"},
    ]  # fmt: skip
    report = build_report(
        sales,
        refunds,
        [sales[2]],
        since=AT - timedelta(hours=1),
        until=AT + timedelta(hours=1),
        start=ShiftStart.MIDNIGHT,
    )
    text = "\n".join(report_lines(report, "Panadería Sol", 48, tz=UTC))
    for words in (
        "Informe de fin de turno",
        "(desde la medianoche)",
        "Desde",
        "Hasta",
        "Pagada (1)",
        "Reembolsada en parte (1)",
        "Por cajero",
        "sin cajero (1)",
        "Ventas abiertas",
        "Recibido en total",
        "Reembolsado en el turno",
        "Neto",
    ):
        assert words in text, words
    assert "25/11/26, 13:03" in text and "25/11/26, 15:03" in text  # es' short date and time
    # es writes an amount before its currency: received 50, refunded 10, net 40
    assert "20,00\xa0BRL" in text and "50,00\xa0BRL" in text and "40,00\xa0BRL" in text
    assert "End-of-shift" not in text and "BRL 20.00" not in text
