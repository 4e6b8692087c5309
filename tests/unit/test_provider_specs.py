"""Every ``ProviderSpec`` is complete and tells the truth: its factory builds a client that works against
its own simulator (mounted alone), the client claims what the spec declares, its payloads are in the
declared schemes, its secrets are exactly what the client needs, its settings are real config.toml keys.
And no module outside ``app/providers`` compares a provider's name: it asks a spec or a capability."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import httpx
import pytest

from app.config import settings as settings_mod
from app.domain.money import Money
from app.providers.base import Capability, ChargeSpec, LinkingProvider, PaymentProvider
from app.providers.registry import BY_NAME, CREDENTIAL_KEYS, DEFAULT, PROVIDERS, SPECS, create_provider, spec_of
from app.providers.spec import ProviderSpec
from app.qr.emv import decode
from app.sandbox.server import create_app, mount, provider_modules

APP = Path(__file__).resolve().parents[2] / "app"
NAMES = pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])


def sample(spec: ProviderSpec) -> dict[str, str]:
    """Values a store could type for every setting the spec hands its client."""
    valid = {"local_country": "BR", "pix_key": str(uuid.uuid4())}  # Depay knows AR and BR; a Pix key has a form
    valid["token_url"] = f"http://sandbox/{spec.name}/oauth2/token"  # J.P. Morgan's: where tokens are issued
    return {f.option: valid.get(f.key, f"test-{f.key}") for f in spec.settings if f.option}


def client(spec: ProviderSpec, app: object, **options: str) -> PaymentProvider:
    return spec.create(
        base_url=f"http://sandbox/{spec.name}",
        credentials=spec.demo_credentials(),
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        **options,
    )


def test_the_registry_is_the_specs():
    assert len(set(PROVIDERS)) == len(SPECS) and PROVIDERS == tuple(s.name for s in SPECS)
    assert {name: spec.secrets for name, spec in BY_NAME.items()} == CREDENTIAL_KEYS
    assert settings_mod.Settings().provider == DEFAULT  # a new configuration starts on the registry's first
    with pytest.raises(ValueError, match="unknown provider 'paypal'"):
        spec_of("paypal")


@NAMES
def test_the_spec_is_complete(spec: ProviderSpec):
    assert spec.name.isidentifier() and spec.name.islower() and spec.label
    assert spec.secrets, "every provider authenticates"
    assert spec.schemes and spec.currencies and spec.capabilities
    assert len({f.key for f in spec.fields}) == len(spec.fields)
    for field in spec.fields:
        assert field.label


@NAMES
def test_its_settings_are_config_keys(spec: ProviderSpec):
    provider_keys = settings_mod._SCHEMA["provider"]
    for field in spec.settings:
        assert field.key in provider_keys, f"{spec.name}: provider.{field.key} is not a config.toml key"
        assert provider_keys[field.key] == (field.key, str)
    filled = settings_mod.Settings(provider=spec.name, **{f.key: f"v-{f.key}" for f in spec.settings})
    assert spec.client_options(filled) == {f.option: f"v-{f.key}" for f in spec.settings if f.option}
    assert spec.client_options(settings_mod.Settings(provider=spec.name)) == {}  # nothing set, nothing handed on


@NAMES
def test_its_sandbox_module_mounts_it(spec: ProviderSpec):
    simulated = mount(spec.sandbox_module)
    assert (simulated.name, simulated.prefix) == (spec.name, f"/{spec.name}")
    app = create_app(modules=(spec.sandbox_module,))
    assert set(app.providers) == {spec.name}  # type: ignore[attr-defined]


def test_the_sandbox_serves_exactly_the_specs_providers():
    assert set(provider_modules()) == {s.sandbox_module for s in SPECS}
    assert set(create_app().providers) == set(PROVIDERS)  # type: ignore[attr-defined]


@NAMES
async def test_its_factory_builds_a_client_that_works_on_its_own_simulator(spec: ProviderSpec):
    app = create_app(modules=(spec.sandbox_module,))
    prov = client(spec, app, **sample(spec))
    try:
        assert isinstance(prov, PaymentProvider) and prov.name == spec.name
        assert prov.capabilities == spec.capabilities
        assert set(prov.currencies) <= set(spec.currencies)
        assert isinstance(prov, LinkingProvider) or Capability.STATIC_LINK not in spec.capabilities
        await prov.ping()
        sale = uuid.uuid4().hex
        charge = ChargeSpec(sale, Money.parse("10.00", prov.currencies[0]), "spec test", 300, sale)
        info = await prov.create_request(charge)
        assert info.payload, f"{spec.name} gave nothing to scan"
        assert decode(info.payload).scheme in spec.schemes
    finally:
        await prov.aclose()


@NAMES
async def test_in_demo_it_needs_no_settings(spec: ProviderSpec):
    """Demo mode builds every provider from its demo credentials alone (``tillqr --demo --provider P``)."""
    prov = client(spec, create_app(modules=(spec.sandbox_module,)))
    try:
        await prov.ping()
    finally:
        await prov.aclose()


@NAMES
def test_its_secrets_are_exactly_what_the_client_needs(spec: ProviderSpec):
    full = spec.demo_credentials()
    assert set(full) == set(spec.secrets)
    for key in spec.required_secrets:
        short = {k: v for k, v in full.items() if k != key}
        with pytest.raises(ValueError, match=key):
            create_provider(spec.name, base_url="https://x", credentials=short)
        with pytest.raises(ValueError, match=key):
            create_provider(spec.name, base_url="https://x", credentials={**full, key: "  "})
    for key in set(spec.secrets) - set(spec.required_secrets):  # optional (a webhook secret): a client without it
        prov = create_provider(spec.name, base_url="https://x", credentials={k: v for k, v in full.items() if k != key})
        assert prov.name == spec.name


# -- nobody else asks for a name ---------------------------------------------------------------------------
def _strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


def name_checks(tree: ast.AST, names: set[str]) -> list[str]:
    """Comparisons with a provider's name (``x == "depay"``, ``name in ("pix", ...)``, ``case "pix"``), and
    hand-kept lists or tables of two names or more."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(_strings(side) & names for side in (node.left, *node.comparators)):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.MatchValue) and _strings(node.value) & names:
            found.append(f"{node.lineno}: case {ast.unparse(node.value)}")
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(_strings(node) & names) >= 2:
            found.append(f"{node.lineno}: {ast.unparse(node)[:60]}")
        elif isinstance(node, ast.Dict):
            keys = {text for key in node.keys if key is not None for text in _strings(key)} & names
            if len(keys) >= 2:
                found.append(f"{node.lineno}: {{{', '.join(sorted(keys))}: ...}}")
    return found


def test_the_scan_finds_what_it_looks_for():
    code = 'a = p == "depay"\nb = n in ("pix", "x")\nc = ("jpmorgan", "razorpay")\nd = {"pix": 1, "depay": 2}\n'
    code += 'match p:\n    case "razorpay":\n        pass\n'
    assert len(name_checks(ast.parse(code), set(PROVIDERS))) == 5
    assert name_checks(ast.parse('NAME = "depay"\nx = {"pix": 1}\ny = scheme == Scheme.PIX'), set(PROVIDERS)) == []


def test_no_module_outside_providers_compares_a_provider_name():
    names = set(PROVIDERS)
    offenders = {}
    for path in sorted(APP.rglob("*.py")):
        if (APP / "providers") in path.parents:
            continue  # the specs themselves
        found = name_checks(ast.parse(path.read_text(encoding="utf-8")), names)
        if found:
            offenders[str(path.relative_to(APP.parent))] = found
    assert offenders == {}


def test_the_sandbox_imports_nothing_from_providers():
    for path in sorted((APP / "sandbox").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("app.providers"), path
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("app.providers") for a in node.names), path
