"""Everything built from the ordered tuple of features, once, by the composition root: the router (and with it the
command menu and /help), the listeners of every hook, the timers, the merge steps, every feature's settings and
one table of every feature's texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from handlers.core.context import FeatureConfig
from handlers.core.feature import Feature, Sweep
from handlers.core.hooks import Hooks
from handlers.core.router import Router
from handlers.core.texts import CORE, Texts


@dataclass(frozen=True)
class Assembly:
    router: Router
    config: FeatureConfig
    sweeps: tuple[Sweep, ...]


def assemble(features: Sequence[Feature], *, base: FeatureConfig, env: Any) -> Assembly:
    """The runtime's pieces for these features (in this order), on top of the runtime's own `base` config; `env` is
    what each feature's settings loader reads."""
    names = [f.name for f in features]
    if len(set(names)) != len(names):
        raise ValueError(f"a feature is listed twice: {names}")
    router = Router.of(features)
    settings: dict[type, object] = {}
    for feature in features:
        if feature.settings is not None:
            loaded = feature.settings(env)
            if type(loaded) in settings:
                raise ValueError(f"{feature.name}: settings of type {type(loaded).__name__} declared twice")
            settings[type(loaded)] = loaded
    config = replace(
        base,
        settings=settings,
        hooks=Hooks(listen for f in features for listen in f.listens),
        menu=tuple(router.menu()),
        merge_steps=tuple(step for f in features for step in f.merge_steps),
        desk_actions=tuple(action for f in features for action in f.desk_actions),
        texts=Texts((CORE, *(f.texts for f in features if f.texts is not None))),
    )
    return Assembly(router, config, tuple(sweep for f in features for sweep in f.sweeps))


def menu_entries(assembly: Assembly) -> list[tuple[str, str, str]]:
    """(command, Chinese description, English description) for the platform's command menu."""
    texts = assembly.config.texts
    return [
        (c.name, texts.translate("zh", c.description_key), texts.translate("en", c.description_key))
        for c in assembly.config.menu
    ]
