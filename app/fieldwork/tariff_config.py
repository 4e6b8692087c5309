"""Where a store's tariffs come from: ``[tariffs.<name>]`` tables of a TOML file.

A configured store keeps its tariffs in its ``config.toml``; demo mode uses the sample file
``resources/tariffs.toml`` (``residential`` and ``commercial``, which is also the example a manager
copies into ``config.toml``). Numbers are read as exact decimals (``parse_float=Decimal``): 0.65 is
0.65, never the float nearest to it. Every problem is a ``TariffError`` naming the file and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from app.config.paths import RESOURCES, Paths
from app.config.settings import SettingsError, read_toml
from app.domain.tariffs import Tariff, TariffError, tariff_from_mapping
from app.i18n import _

DEMO_TARIFFS_FILE = RESOURCES / "tariffs.toml"


def _read(path: Path) -> dict[str, object]:
    """The TOML of ``path``, read as settings read it (``read_toml``: one reader, one set of limits)."""
    try:
        data = read_toml(path, parse_float=Decimal)
    except SettingsError as exc:
        raise TariffError(str(exc)) from None
    if data is None:
        raise TariffError(_("{path}: the file does not exist").format(path=path))
    return data


def _tariffs_table(data: Mapping[str, object], path: Path) -> Mapping[str, object] | None:
    table = data.get("tariffs")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise TariffError(_("{path}: tariffs must be tables like [tariffs.residential]").format(path=path))
    return table


def _build(table: Mapping[str, object], path: Path) -> dict[str, Tariff]:
    tariffs: dict[str, Tariff] = {}
    for name, entry in table.items():
        if not isinstance(entry, Mapping):
            raise TariffError(
                _("{path}: tariffs.{name} must be a table like [tariffs.{name}]").format(path=path, name=name)
            )
        try:
            tariffs[name] = tariff_from_mapping(name, entry)
        except TariffError as exc:
            raise TariffError(f"{path}: {exc}") from None
    if not tariffs:
        raise TariffError(
            _("{path}: [tariffs] has no tariff in it (add one like [tariffs.residential])").format(path=path)
        )
    return tariffs


def load_tariffs(path: Path) -> dict[str, Tariff]:
    """Every ``[tariffs.<name>]`` of the TOML file ``path`` (other tables are left alone), or TariffError."""
    table = _tariffs_table(_read(path), path)
    if table is None:
        raise TariffError(_("{path}: no tariffs in it (add tables like [tariffs.residential])").format(path=path))
    return _build(table, path)


def tariffs_for(paths: Paths, demo: bool) -> dict[str, Tariff]:
    """The tariffs to charge by: the sample ones in demo mode, else the ``[tariffs.*]`` of ``config.toml``."""
    if demo:
        return load_tariffs(DEMO_TARIFFS_FILE)
    config = paths.config_file
    table = _tariffs_table(_read(config), config) if os.path.lexists(config) else None
    if table is None:
        raise TariffError(
            _(
                "{path}: no tariffs are configured; copy the [tariffs.*] tables of {example} into it and set the "
                "utility's own numbers"
            ).format(path=config, example=DEMO_TARIFFS_FILE)
        )
    return _build(table, config)


__all__ = ["DEMO_TARIFFS_FILE", "load_tariffs", "tariffs_for"]
