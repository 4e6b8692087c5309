"""The counter and the customer display speak the store's language (pt_BR, es, hi): their words from the
catalogues, amounts as Babel writes them ("R$ 12,50", with a no-break space), the decimal sign typed as the
store writes it. A real demo till (the sandbox), switched with ``set_language``."""

from __future__ import annotations

from app.domain.sale import SaleStatus
from app.i18n import set_language
from app.screens.counter_model import CounterModel, Mode
from app.screens.counter_words import while_busy
from app.screens.customer_display_model import CustomerDisplayModel, Face
from app.screens.operations import Busy
from tests.support.till import demo_till

NBSP = "\u00a0"


def counter(rt) -> CounterModel:
    model = CounterModel(rt.controller, demo=True, sandbox=rt.sandbox)
    rt.controller.subscribe(model.on_event)
    return model


async def test_a_counter_in_portuguese_says_its_banner_refusals_and_amounts_in_portuguese(tmp_path):
    async with demo_till(tmp_path, duration_s=300) as rt:
        set_language("pt_BR")  # after the runtime read the store's settings (no language: the environment's)
        model = counter(rt)
        display = CustomerDisplayModel("Padaria")
        rt.controller.subscribe(display.on_event)
        assert (model.banner.title, model.banner.detail) == ("Pronto", "Digite um valor e toque em Cobrar")
        assert model.placeholder == "0,00"
        assert display.look().title == "Bem-vindo"

        assert not model.paste("doze reais")
        assert model.message == "Isso não é um valor: cole dígitos como 12,50. O valor não foi alterado."
        for key in "12,50":
            model.press(key)
        assert (model.entry, model.amount_text) == ("12.50", "12,50")  # kept with a point, shown with a comma
        assert while_busy(Busy.CHARGE, Busy.CANCEL) == "Uma venda está sendo iniciada; aguarde o QR. Depois cancele."

        sale = await model.charge()

        assert sale is not None and sale.status is SaleStatus.LINKED
        assert model.banner.detail == f"Leia para pagar R${NBSP}12,50"
        assert model.sale_caption[0] == f"R${NBSP}12,50"
        assert model.countdown().count(":") == 1 and model.panel_hint == ""
        look = display.look()
        assert (look.face, look.title, look.amount) == (Face.WAITING, "Leia para pagar", f"R${NBSP}12,50")
        assert look.detail == "Leia o código com o app do seu banco"

        await rt.sandbox.pay(sale.payload)
        closed = await rt.controller.wait_closed(sale.sale_id, timeout=10)

        assert closed.status is SaleStatus.SETTLED
        assert model.mode is Mode.PAID
        assert (model.banner.title, model.banner.detail) == ("PAGO", f"R${NBSP}12,50 recebido")
        assert model.panel_hint == "Pronto para a próxima venda: digite um valor"
        assert (display.look().title, display.look().detail) == ("PAGO", "Obrigado!")


def test_refusals_and_waits_follow_a_switch_and_english_stays_the_source():
    set_language("")
    assert while_busy(Busy.CANCEL, Busy.CHARGE) == "The sale is being cancelled; wait a moment."
    set_language("es")
    assert while_busy(Busy.CANCEL, Busy.CHARGE) == "Se está cancelando la venta; espere un momento."
    set_language("hi")
    assert while_busy(Busy.CANCEL, Busy.CHARGE) == "बिक्री रद्द हो रही है; एक क्षण रुकें।"


async def test_too_large_is_refused_in_hindi_with_the_amount_as_india_writes_it(tmp_path):
    async with demo_till(tmp_path) as rt:
        set_language("hi")
        model = counter(rt)
        for key in "9" * 12:
            model.press(key)
        assert model.message.startswith("बहुत बड़ी राशि: यह काउंटर अधिकतम ")
        assert "R$" in model.message and "," in model.message  # Babel's BRL in hi: R$ and Indian grouping
        assert model.placeholder == "0.00"  # hi writes the decimal point


async def test_an_over_payment_is_said_once_in_portuguese_on_the_banner(tmp_path):
    async with demo_till(tmp_path, duration_s=300) as rt:
        set_language("pt_BR")
        model = counter(rt)
        for key in "12,50":
            model.press(key)
        sale = await model.charge()
        assert sale is not None

        await rt.sandbox.pay(sale.payload, "15.00")
        await rt.controller.wait_closed(sale.sale_id, timeout=10)

        assert model.banner.detail == f"R${NBSP}15,00 recebido por R${NBSP}12,50"
        assert model.banner.note == f"Pago a mais: R${NBSP}2,50 — devolva a diferença ao cliente"
        assert model.message == "", "the controller's notice of the same amount is not said twice"


async def test_why_a_start_stopped_is_journaled_in_english_and_shown_in_the_store_s_language(tmp_path):
    from app.checkout.outcomes import start_failure
    from app.domain.money import Money
    from app.domain.sale import Sale
    from app.providers.base import ProviderTimeout

    async with demo_till(tmp_path) as rt:
        set_language("es")
        reason, failed = start_failure(ProviderTimeout("slow"))
        assert reason == "provider unreachable: the provider is slow: it did not answer in time"  # the journal's
        assert str(failed).startswith("El proveedor de pagos está lento")
        model = counter(rt)
        model.sale_changed(Sale.new(Money.parse("12.50", "BRL"), "demo").move(SaleStatus.FAILED, reason=reason))
        assert (model.banner.title, model.banner.detail) == (
            "Fallida",
            "Proveedor inaccesible: el proveedor está lento, no respondió a tiempo",
        )


def test_a_due_date_breakdown_reads_in_portuguese_with_brazilian_dates():
    from datetime import date

    from app.domain.dueterms import DueTerms
    from app.domain.money import Money
    from app.screens.due_form import summary

    def brl(text: str) -> Money:
        return Money.parse(text, "BRL")

    set_language("pt_BR")
    terms = DueTerms(date(2026, 11, 25), 30, brl("2.00"), brl("0.10"), Money(0, "BRL"))
    lines = summary(brl("100.00"), terms, date(2026, 11, 28))
    assert lines[0] == "Vencimento 25/11/2026"
    assert lines[1] == f"Valor: R${NBSP}100,00"
    assert f"Multa após 25/11/2026: R${NBSP}2,00" in lines
    assert f"Juros, 2 dias x R${NBSP}0,10: R${NBSP}0,20" in lines
    assert lines[-1] == f"Total devido em 28/11/2026: R${NBSP}102,20"
