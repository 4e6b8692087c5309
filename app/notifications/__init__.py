"""The receiver of providers' notifications: ``POST /notifications/<provider>`` (Qt-free).

- ``sources.py``: what each provider sends and how it is trusted (Razorpay signs; Depay and J.P. Morgan
  do not, so theirs are only believed for a request this till follows, and only as a hint);
- ``replay.py``: the bounded window of events already taken (a replay is answered 200 and does nothing);
- ``intake.py``: the checks (size, content type, signature, JSON), shared with the back office's relay;
- ``receiver.py``: the till's starlette app (the checks, replay, then a push event);
- ``serve.py``: ``tillqr notifications serve`` on uvicorn.

An accepted notification never changes a sale by itself: it wakes the sale's watcher
(``app.checkout.push.NotificationHub``), which asks the provider and lets the controller apply the answer.
"""
