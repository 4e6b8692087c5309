"""Where credentials may go (issue 12, defect 3): the base URL parsed, never prefix-tested, and checked in one
place (app/urlcheck) by the settings, every provider client and ``TILLQR_SANDBOX_URL``; a server whose TLS
certificate does not verify is refused at once, with words, not retried."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import subprocess
from pathlib import Path

import pytest

from app.config import settings as settings_mod
from app.providers.base import ProviderUntrusted
from app.providers.jpmorgan import JPMorganProvider
from app.retry import FakeTimer
from app.runtime import CannotStart, open_runtime
from app.urlcheck import UnsafeUrl, checked_url, is_loopback

SENDS_TOKEN_IN_CLEAR = [
    "http://localhost@evil.example",
    "http://127.0.0.1@evil.example/v1",
    "http://localhost:8080@evil.example",
    "http://user:pw@localhost",  # a password in the URL is refused even to this machine
    "http://localhost\\@evil.example",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "http://evil.example/http://localhost",
    "http://10.0.0.5",
    "ftp://localhost",
    "localhost:8000",
    "https://",
    "http://localhost:notaport",
]
SAFE = [
    "https://api.example.com/v1",
    "http://127.0.0.1:8765/jpmorgan",
    "http://127.9.9.9",
    "http://localhost:8000",
    "http://LOCALHOST.",
    "http://[::1]:8000/x",
]


@pytest.mark.parametrize("url", SENDS_TOKEN_IN_CLEAR)
def test_plain_http_prefix_tricks_to_a_remote_host_are_refused(url):
    with pytest.raises(UnsafeUrl):
        checked_url(url)


@pytest.mark.parametrize("url", SAFE)
def test_https_anywhere_and_plain_http_to_loopback_pass(url):
    assert checked_url(url) == url


def test_loopback_is_127_slash_8_ipv6_one_and_localhost_only():
    assert [is_loopback(h) for h in ("127.0.0.1", "127.255.0.1", "::1", "localhost", "10.0.0.1", "::2")] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_settings_refuse_a_userinfo_url_that_only_looks_local(tmp_path):
    config = tmp_path / "config.toml"
    bad = settings_mod.Settings(provider="jpmorgan", base_url="http://localhost@evil.example/v1")
    with pytest.raises(settings_mod.SettingsError, match="user name or password"):
        settings_mod.save(bad, config)
    assert not config.exists()


def test_a_provider_client_refuses_to_send_its_token_in_clear_to_a_remote_host():
    with pytest.raises(ValueError, match="not plain http to localhost.evil.example"):
        JPMorganProvider("http://localhost.evil.example/jpmorgan", "token")


async def test_tillqr_sandbox_url_to_a_remote_host_in_plain_http_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TILLQR_SANDBOX_URL", "http://localhost@evil.example:8765")
    with pytest.raises(CannotStart, match="TILLQR_SANDBOX_URL must not hold a user name"):
        await open_runtime(demo=True, home=tmp_path)


# -- a self-signed https endpoint -------------------------------------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 that no trust store knows: (cert, key) files."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509  # lazy: optional; openssl is the fallback
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        try:
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                 "-addext", "subjectAltName=IP:127.0.0.1"],
                check=True, capture_output=True, timeout=30,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            pytest.skip("neither the cryptography package nor openssl is here to make a test certificate")
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, key


async def test_a_self_signed_https_endpoint_is_refused_once_with_a_clear_error(tmp_path):
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handshakes: list[int] = []
    answered: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handshakes.append(1)  # the TLS handshake ran (asyncio starts the callback once it is done or failing)
        try:
            await reader.readuntil(b"\r\n\r\n")
            answered.append(1)  # a request came through: the client trusted the certificate
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    provider = JPMorganProvider(f"https://127.0.0.1:{port}/jpmorgan", "secret-token", timer=FakeTimer())
    try:
        async with server:
            with pytest.raises(ProviderUntrusted) as caught:
                await provider.get_request("a" * 32)  # a read: anything retryable would be asked three times
    finally:
        await provider.aclose()
    assert provider.http.attempts == 1  # refused once, no retry storm
    assert answered == []  # nothing (the token least of all) was sent to it
    text = str(caught.value)
    assert "certificate could not be verified" in text and "base URL in Settings" in text
    assert "secret-token" not in text
