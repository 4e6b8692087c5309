"""Where a store's tariffs come from: ``[tariffs.<name>]`` tables of a TOML file.

A configured store keeps its tariffs in its ``config.toml``; demo mode uses the sample file
``resources/tariffs.toml`` (``residential`` and ``commercial``, which is also the example a manager
copies into ``config.toml``). Numbers are read as exact decimals (``parse_float=Decimal``): 0.65 is
0.65, never the float nearest to it. Every problem is a ``TariffError`` naming the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from app.config.paths import RESOURCES, Paths
from app.domain.tariffs import Tariff, TariffError, tariff_from_mapping

DEMO_TARIFFS_FILE = RESOURCES / "tariffs.toml"


def _read(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise TariffError(f"{path}: the file does not exist") from None
    except OSError as exc:
        raise TariffError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise TariffError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise TariffError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise TariffError(f"{path}: not valid TOML: its arrays or tables are nested too deeply") from None


def _tariffs_table(data: Mapping[str, object], path: Path) -> Mapping[str, object] | None:
    table = data.get("tariffs")
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise TariffError(f"{path}: tariffs must be tables like [tariffs.residential]")
    return table


def _build(table: Mapping[str, object], path: Path) -> dict[str, Tariff]:
    tariffs: dict[str, Tariff] = {}
    for name, entry in table.items():
        if not isinstance(entry, Mapping):
            raise TariffError(f"{path}: tariffs.{name} must be a table like [tariffs.{name}]")
        try:
            tariffs[name] = tariff_from_mapping(name, entry)
        except TariffError as exc:
            raise TariffError(f"{path}: {exc}") from None
    if not tariffs:
        raise TariffError(f"{path}: [tariffs] has no tariff in it (add one like [tariffs.residential])")
    return tariffs


def load_tariffs(path: Path) -> dict[str, Tariff]:
    """Every ``[tariffs.<name>]`` of the TOML file ``path`` (other tables are left alone), or TariffError."""
    table = _tariffs_table(_read(path), path)
    if table is None:
        raise TariffError(f"{path}: no tariffs in it (add tables like [tariffs.residential])")
    return _build(table, path)


def tariffs_for(paths: Paths, demo: bool) -> dict[str, Tariff]:
    """The tariffs to charge by: the sample ones in demo mode, else the ``[tariffs.*]`` of ``config.toml``."""
    if demo:
        return load_tariffs(DEMO_TARIFFS_FILE)
    config = paths.config_file
    table = _tariffs_table(_read(config), config) if config.exists() else None
    if table is None:
        raise TariffError(
            f"{config}: no tariffs are configured; copy the [tariffs.*] tables of {DEMO_TARIFFS_FILE} "
            "into it and set the utility's own numbers"
        )
    return _build(table, config)


__all__ = ["DEMO_TARIFFS_FILE", "load_tariffs", "tariffs_for"]
