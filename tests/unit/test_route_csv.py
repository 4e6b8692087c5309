"""A route's CSV (app.fieldwork.route_csv): every row checked first, every problem with its line number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.bills import Bill
from app.fieldwork.route_csv import DEMO_ROUTE_FILE, MAX_SHOWN, RouteError, RowProblem, read_route
from app.fieldwork.tariff_config import DEMO_TARIFFS_FILE, load_tariffs
from app.i18n import set_language

TARIFFS = load_tariffs(DEMO_TARIFFS_FILE)
HEADER = "bill_id,customer,address,meter_id,previous_reading,tariff"
GOOD = 'B-1,Maria da Silva,"Rua A, 12",RM-1,1350,residential'


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "route.csv"
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def problems(tmp_path: Path, text: str | bytes) -> list[RowProblem]:
    with pytest.raises(RouteError) as caught:
        read_route(write(tmp_path, text), TARIFFS)
    return caught.value.problems


def test_the_demo_route_loads_with_both_tariffs():
    bills = read_route(DEMO_ROUTE_FILE, TARIFFS)
    assert 20 <= len(bills) <= 30
    assert {b.tariff for b in bills} == {"residential", "commercial"}
    assert len({b.bill_id for b in bills}) == len(bills) and all(b.payment_link_id is None for b in bills)
    assert any("ç" in b.customer or "ã" in b.customer for b in bills)  # read as UTF-8


def test_a_good_file_with_optional_columns_a_bom_and_crlf(tmp_path):
    text = (
        "\ufeffBill_ID , customer,address,meter_id,previous_reading,tariff,payment_link_id,due_date\r\n"
        f"{GOOD},pl_123,2025-07-10\r\n"
        "\r\n"
        ",,,,,,,\r\n"
        'B-2,"João ""Zé"" Souza",Sítio Novo,RM-2,0.5,commercial,,\r\n'
    )
    bills = read_route(write(tmp_path, text), TARIFFS)
    assert bills == [
        Bill("B-1", "Maria da Silva", "Rua A, 12", "RM-1", Decimal(1350), "residential", "pl_123", date(2025, 7, 10)),
        Bill("B-2", 'João "Zé" Souza', "Sítio Novo", "RM-2", Decimal("0.5"), "commercial"),
    ]


def test_a_semicolon_separated_export_is_read_too(tmp_path):
    bills = read_route(
        write(tmp_path, f"{HEADER.replace(',', ';')}\nB-1;Ana;Rua B, 3;RM-1;1234,5;residential\n"), TARIFFS
    )
    assert bills[0].address == "Rua B, 3" and bills[0].previous_reading == Decimal("1234.5")


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_returned(tmp_path):
    text = "\n".join(
        [
            HEADER + ",due_date",
            GOOD + ",",  # line 2: fine
            "B 2,,Rua C,RM-2,-4,industrial,10/07/2025",  # line 3: five problems
            "B-1,Ana,Rua D,RM-3,12.3456,residential,",  # line 4: duplicate id, too precise
            '"B-4","Multi',  # line 5-6: a quoted line break in the name
            'line name",Rua E,RM-4,100000,residential,2025-02-30',
            "B-5,Ana,Rua F,RM-5,7",  # line 7: too few values
            "B-6," + "x" * 101 + ",Rua G,RM-6,1,commercial,",  # line 8: name too long
            "B-7,Ana,Rua H," + "m" * 36 + ",1,commercial,",  # line 9: meter id too long
            "X" * 36 + ",Ana,Rua I,RM-9,1,commercial,",  # line 10: bill id too long
        ]
    )
    found = {(p.line, p.column) for p in problems(tmp_path, text)}
    assert found == {
        (3, "bill_id"),
        (3, "customer"),
        (3, "previous_reading"),
        (3, "tariff"),
        (3, "due_date"),
        (4, "bill_id"),
        (4, "previous_reading"),
        (5, "customer"),
        (5, "previous_reading"),  # 100000: more digits than a 5-digit residential meter
        (5, "due_date"),
        (7, ""),
        (8, "customer"),
        (9, "meter_id"),
        (10, "bill_id"),
    }


def test_the_messages_say_what_to_do(tmp_path):
    text = f"{HEADER}\n{GOOD}\nB-1,Ana,Rua D,RM-3,abc,industrial\n"
    err = problems(tmp_path, text)
    words = {p.column: p.message for p in err}
    assert words["bill_id"] == "B-1 is already on line 2"
    assert "'industrial' is not a tariff (known: commercial, residential)" == words["tariff"]
    assert "type the digits on the meter" in words["previous_reading"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bill_id,customer,address,meter_id,previous_reading", [(1, "tariff", "missing column")]),
        (HEADER + ",colour", [(1, "colour", "unknown column")]),
        (HEADER + ",tariff", [(1, "tariff", "this column appears twice")]),
        (HEADER.replace(",", "\t"), [(1, "", "the columns are separated by tabs")]),
        ("", [(1, "", "the first line must be the header")]),
    ],
)
def test_a_bad_header_is_reported_before_any_row(tmp_path, header, expected):
    found = problems(tmp_path, f"{header}\n{GOOD}\n")
    assert [(p.line, p.column) for p in found] == [(line, column) for line, column, _ in expected]
    assert all(words in p.message for p, (_, _, words) in zip(found, expected))


def test_a_file_that_is_not_utf8_is_one_clear_problem(tmp_path):
    latin1 = f"{HEADER}\n{GOOD}\nB-2,Conceição,Rua A,RM-2,1,residential\n".encode("latin-1")
    assert problems(tmp_path, latin1) == [
        RowProblem(3, "", "the file is not UTF-8 text; save it from the spreadsheet as “CSV UTF-8”")
    ]


def test_an_empty_route_and_a_missing_file(tmp_path):
    assert [p.message for p in problems(tmp_path, HEADER + "\n")] == ["the route has no bills"]
    with pytest.raises(RouteError, match="cannot be read"):
        read_route(tmp_path / "nope.csv", TARIFFS)


def test_the_error_lists_fifty_problems_and_counts_the_rest(tmp_path):
    rows = [f"B-{i},,Rua,RM-{i},1,residential" for i in range(MAX_SHOWN + 20)]
    with pytest.raises(RouteError) as caught:
        read_route(write(tmp_path, "\n".join([HEADER, *rows])), TARIFFS)
    assert len(caught.value.problems) == MAX_SHOWN + 20
    text = str(caught.value)
    assert text.count("\nline ") == MAX_SHOWN and text.endswith("… and 20 more problems")
    assert text.startswith("The route cannot be imported (70 problems; nothing was imported)")


def test_ten_thousand_rows_load(tmp_path):
    rows = [f'B-{i:05d},Cliente {i},"Rua {i}, {i}",RM-{i},{i % 99999},residential' for i in range(10_000)]
    bills = read_route(write(tmp_path, "\n".join([HEADER, *rows])), TARIFFS)
    assert len(bills) == 10_000 and bills[-1].bill_id == "B-09999"


def test_a_route_s_problems_read_in_the_store_s_language(tmp_path):
    set_language("es")
    text = f"{HEADER}\n{GOOD}\nB 2,Ana,Rua B,RM-2,abc,rural\n"
    with pytest.raises(RouteError) as caught:
        read_route(write(tmp_path, text), TARIFFS)
    said = str(caught.value).splitlines()
    assert said[0] == "La ruta no se puede importar (3 problemas; no se importó nada):"
    assert said[1] == "línea 3, bill_id: 'B 2' debe tener de 1 a 35 letras, dígitos, - o _ (sin espacios)"
    assert said[2] == "línea 3, tariff: 'rural' no es una tarifa (conocidas: commercial, residential)"
    assert said[3].startswith("línea 3, previous_reading: 'abc' no es una lectura de medidor")
    assert said[3].endswith("como 12345 o 12345,6.")  # the decimal mark the agent types in es
