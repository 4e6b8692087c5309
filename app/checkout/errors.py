"""The command layer's errors: a charge, cancel or end that did not happen, said for the cashier."""

from __future__ import annotations


class CheckoutError(Exception):
    """A charge or cancel that did not happen; the message is for the cashier."""


class SaleInProgress(CheckoutError):
    """The counter is taken: a sale is being started, is open, or an earlier one may still be payable."""


class ChargeFailed(CheckoutError):
    """The provider refused or failed the sale (it was stopped and is being closed)."""
