"""The yardstick for cold start: a bare PySide6 window of the counter's size, shown and painted once."""

import sys

from PySide6.QtWidgets import QApplication, QWidget

app = QApplication(sys.argv)
window = QWidget()
window.resize(1280, 800)
window.show()
app.processEvents()
print("ready", flush=True)
