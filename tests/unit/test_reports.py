import csv
from datetime import UTC

from app.domain.money import Money
from app.domain.sale import Sale, SaleStatus
from app.storage.reports import day_totals, export_csv


def sale(amount, status, ref="", received=None):
    s = Sale.new(Money.parse(amount, "BRL"), "jpmorgan", ref)
    return s.with_(status=status, amount_received=Money.parse(received or amount, "BRL", allow_zero=True))


def test_export_is_spreadsheet_safe_and_complete(tmp_path):
    sales = [sale("12.50", SaleStatus.SETTLED, "=HYPERLINK(1)"), sale("3.00", SaleStatus.EXPIRED, "+1", received="0")]
    path = tmp_path / "out.csv"
    assert export_csv(sales, path) == 2
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert [r["amount"] for r in rows] == ["12.50", "3.00"] and rows[0]["status"] == "settled"
    assert rows[0]["reference"].startswith("'=") and rows[1]["reference"] == "'+1"  # never a live formula
    assert not (tmp_path / "out.csv.tmp").exists()


def test_day_totals_by_status():
    sales = [
        sale("10.00", SaleStatus.SETTLED),
        sale("5.00", SaleStatus.SETTLED),
        sale("2.00", SaleStatus.EXPIRED, received="0"),
    ]
    day = sales[0].created_at.astimezone(UTC).date()
    totals = day_totals(sales, day, UTC)
    assert list(totals) == [("settled", "BRL"), ("expired", "BRL")]
    assert totals[("settled", "BRL")].count == 2 and str(totals[("settled", "BRL")].received) == "15.00"
    assert str(totals[("expired", "BRL")].received) == "0.00"
    assert day_totals(sales, day.replace(year=day.year - 1), UTC) == {}
