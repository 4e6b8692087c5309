"""Pictures of printed bill sheets for review: ``python -m tools.bill_screenshots [OUT_DIR] [--dpi N]``.

Lays out sample bills (J.P. Morgan-style Pix payment-link payloads, one with a very long name and address)
1, 2 and 4 a sheet and writes ``bills-<N>up-page<K>.png`` to OUT_DIR (default: ./screenshots), plus
``bills-2up.pdf``, the same sheets as ``tillqr bills print`` would write them.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.fieldwork.billsheet import PER_PAGE, PrintedBill, layout_pages
from app.qr.schemes import pix_dynamic
from app.ui.bill_render import page_image, write_pdf
from tools import shots

_PEOPLE = (
    ("Maria das Graças Ferreira", "Rua das Flores, 120, Centro, Juazeiro do Norte - CE", "Residential"),
    ("José Raimundo da Silva", "Sítio Boa Esperança, s/n, Zona Rural, Crato - CE", "Residential"),
    ("Mercearia Dois Irmãos Ltda", "Av. Padre Cícero, 2450, Loja 3, Triângulo, Juazeiro do Norte - CE", "Commercial"),
    (
        "Antônio Francisco de Assis Cavalcante Albuquerque Bezerra de Menezes Sobrinho",
        "Travessa Nossa Senhora das Candeias do Alto da Serra, 1234, Bloco B, Apartamento 502, "
        "Conjunto Habitacional Vila Esperança, Bairro São Miguel, Juazeiro do Norte - CE, 63000-000, "
        "próximo à escola municipal",
        "Residential",
    ),
    ("Francisca Lima", "Rua São Pedro, 77, Pirajá, Barbalha - CE", "Residential"),
)


def sample_bills(count: int = 5) -> list[PrintedBill]:
    bills = []
    for n in range(count):
        customer, address, tariff = _PEOPLE[n % len(_PEOPLE)]
        bills.append(
            PrintedBill(
                bill_id=f"2024-07-{n + 1:05d}",
                customer=customer,
                address=address,
                meter_id=f"CE-{483920 + n * 17}",
                previous_reading=Decimal(12345 + n * 311),
                tariff_label=tariff,
                due_date=date(2024, 8, 10) if n % 2 == 0 else None,
                due_days=None if n % 2 == 0 else 10,
                payload=pix_dynamic(
                    f"pix.sandbox.tillqr.dev/jpmorgan/links/{n:032x}",
                    merchant_name="Companhia Energetica do Cariri",
                    merchant_city="JUAZEIRO DO NORTE",
                ),
                store_name="Companhia Energética do Cariri",
            )
        )
    return bills


def capture(out: Path, dpi: int = 150) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    bills = sample_bills()
    for per_page in PER_PAGE:
        for k, page in enumerate(layout_pages(bills, per_page), 1):
            path = out / f"bills-{per_page}up-page{k}.png"
            if not page_image(page, dpi).save(str(path)):
                raise OSError(f"cannot write {path}")
            written.append(path)
    pdf = out / "bills-2up.pdf"
    write_pdf(layout_pages(bills, 2), pdf)
    return [*written, pdf]


def main(argv: list[str] | None = None) -> int:
    parser = shots.parser("python -m tools.bill_screenshots", __doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=150, help="pixels an inch (default 150)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    for path in capture(Path(args.out).resolve(), args.dpi):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
