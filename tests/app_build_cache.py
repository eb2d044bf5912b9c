"""Most tests build their own app (`create_app` per test, so each has its own database, stores and hub),
and Litestar parses every route handler's signature again for each one: about 0.6 s of CPU per app
with ~550 handlers, half the suite's CPU. A handler function's parsed signature and signature model
depend only on the function and the names it is resolved against, which are the same for every app of
one process, so the test process remembers them. Production builds one app per process and gains
nothing from this; nothing else about the app is shared between tests."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

from litestar._signature.model import SignatureModel
from litestar.utils.signature import ParsedSignature

_signatures: dict[Hashable, ParsedSignature] = {}
_models: dict[Hashable, type[SignatureModel]] = {}


def _namespace_key(namespace: dict[str, Any]) -> frozenset[tuple[str, int]]:
    # By identity: the same type objects each time, and an unhashable value cannot break the key.
    return frozenset((name, id(value)) for name, value in namespace.items())


def _decoders_key(type_decoders: Any) -> tuple[Hashable, ...]:
    # Litestar makes a new `partial` for its pydantic decoder per app: compare what it wraps.
    return tuple(
        tuple(
            (d.func, d.args, tuple(sorted(d.keywords.items()))) if isinstance(d, partial) else d for d in pair
        )
        for pair in type_decoders
    )


def _is_module_level(fn: Callable[..., Any]) -> bool:
    # Closures made per app (Litestar's OPTIONS handlers) are new objects each time: not worth keeping.
    return "<locals>" not in getattr(fn, "__qualname__", "<locals>")


def remember_parsed_signatures() -> None:
    """Make Litestar's per-handler parsing a lookup after the first app of this process."""
    if getattr(ParsedSignature.from_fn, "_linka_cached", False):
        return
    parse_signature = ParsedSignature.from_fn.__func__  # type: ignore[attr-defined]
    create_model = SignatureModel.create.__func__  # type: ignore[attr-defined]

    def from_fn(
        cls: type[ParsedSignature], fn: Callable[..., Any], signature_namespace: dict[str, Any]
    ) -> Any:
        if not _is_module_level(fn):
            return parse_signature(cls, fn, signature_namespace)
        key = (fn, _namespace_key(signature_namespace))
        if key not in _signatures:
            _signatures[key] = parse_signature(cls, fn, signature_namespace)
        return _signatures[key]

    def create(
        cls: type[SignatureModel],
        dependency_name_set: set[str],
        fn: Callable[..., Any],
        parsed_signature: ParsedSignature,
        type_decoders: Any,
        data_dto: Any = None,
    ) -> Any:
        try:
            key: Hashable = (
                fn,
                frozenset(dependency_name_set),
                id(parsed_signature),
                _decoders_key(type_decoders),
                data_dto,
            )
            hash(key)
        except TypeError:
            key = None
        if key is None or not _is_module_level(fn):
            return create_model(cls, dependency_name_set, fn, parsed_signature, type_decoders, data_dto)
        if key not in _models:
            _models[key] = create_model(
                cls, dependency_name_set, fn, parsed_signature, type_decoders, data_dto
            )
        return _models[key]

    from_fn._linka_cached = True  # type: ignore[attr-defined]
    ParsedSignature.from_fn = classmethod(from_fn)  # type: ignore[assignment,method-assign]
    SignatureModel.create = classmethod(create)  # type: ignore[assignment,method-assign]
