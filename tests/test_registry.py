"""The generic `Registry`: duplicates, listing, name-or-instance resolution, argument checks, plugins."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from metanas import registry as registry_module
from metanas.exceptions import ConfigError, UnknownNameError
from metanas.registry import Registry


class Base:
    def __init__(self, size: int = 1):
        self.size = size


class Other(Base):
    pass


def make(size: int, scale: float = 1.0) -> Base:
    return Base(int(size * scale))


def test_register_create_and_list():
    r = Registry("widget", base=Base)
    assert r.register("base", Base) is Base
    r.register("made", make)
    assert r.names() == ["base", "made"] and "made" in r and "x" not in r and len(r) == 2
    assert r.create("made", size=3, scale=2.0).size == 6
    assert r.resolve("base").size == 1


def test_duplicate_names_are_refused_unless_replace():
    r = Registry("widget")
    r.register("a", Base)
    r.register("a", Base)  # the same factory again is harmless (module re-import)
    with pytest.raises(ConfigError, match="'a' is already registered.*replace=True"):
        r.register("a", Other)
    r.register("a", Other, replace=True)
    assert r.factory("a") is Other


def test_decorator_form_and_bad_names():
    r = Registry("widget")

    @r.register("deco")
    class Deco(Base):
        pass

    assert r.factory("deco") is Deco
    for bad in ("", " x", None, 3):
        with pytest.raises(ConfigError, match="non-empty string"):
            r.register(bad, Base)
    with pytest.raises(ConfigError, match="callable"):
        r.register("x", 42)


def test_unknown_name_lists_the_valid_ones():
    class MyError(UnknownNameError):
        pass

    r = Registry("widget", error=MyError)
    r.register("b", Base)
    r.register("a", Base)
    with pytest.raises(MyError, match=r"unknown widget 'c'; choose one of \['a', 'b'\]"):
        r.create("c")
    with pytest.raises(UnknownNameError):
        r.factory(["not", "hashable"])


def test_resolve_passes_instances_and_checks_arguments():
    r = Registry("widget", base=Base)
    r.register("made", make)
    inst = Other(5)
    assert r.resolve(inst) is inst
    with pytest.raises(ConfigError, match="instance and arguments"):
        r.resolve(inst, size=2)
    with pytest.raises(ConfigError, match="expected a widget name"):
        r.resolve(3.5)
    with pytest.raises(ConfigError, match=r"unknown argument\(s\) \['colour'\]"):
        r.create("made", size=1, colour="red")
    with pytest.raises(ConfigError, match=r"needs the argument\(s\) \['size'\]"):
        r.create("made")


def test_entry_point_plugins_load_once_and_never_shadow(monkeypatch, caplog):
    eps = [
        EntryPoint("plugged", "tests.test_registry:Other", "metanas.widgets"),
        EntryPoint("base", "tests.test_registry:Other", "metanas.widgets"),  # a taken name: ignored
        EntryPoint("broken", "no_such_module_xyz:Thing", "metanas.widgets"),  # fails to load: ignored
    ]
    calls = []

    def fake_entry_points(group):
        calls.append(group)
        return [ep for ep in eps if ep.group == group]

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    monkeypatch.setattr(EntryPoint, "load", lambda self: Other if self.name != "broken" else (_ for _ in ()).throw(
        ImportError("no module")))
    r = Registry("widget", base=Base, entry_point_group="metanas.widgets")
    r.register("base", Base)
    with caplog.at_level("WARNING"):
        assert r.names() == ["base", "plugged"]
    assert r.factory("plugged") is Other and r.factory("base") is Base
    assert calls == ["metanas.widgets"]
    assert "already registered" in caplog.text and "could not be loaded" in caplog.text
