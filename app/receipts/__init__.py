"""Receipts and the end-of-shift report, without Qt.

A receipt (:mod:`app.receipts.layout`) is a journal sale laid out as plain text lines for a paper width in
characters (58 mm ≈ 32, 80 mm ≈ 48 at font A); every output prints those same lines: ESC/POS through
python-escpos (:mod:`app.receipts.escpos_out`), any system printer and PDF through Qt (``app/ui/receipt_render.py``).
Where receipts go is the ``[printer]`` setting (:mod:`app.receipts.printer`). The end-of-shift report
(:mod:`app.receipts.shift`) counts and totals the sales of a shift, laid out the same way and as CSV.

Receipts are not fiscal documents (Brazil's NFC-e and the like are out of scope): each one says so.
"""
