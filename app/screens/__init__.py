"""Qt-free view-models, one per screen, and the async operation runner the views use.

Each model holds a screen's state and rules and calls the command layer (``app.checkout``);
the widgets in ``app.ui`` only draw a model and forward input to it.
"""
