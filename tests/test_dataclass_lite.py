"""dataclass_lite.py: the light stand-in for @dataclass behaves as dataclasses do for what we use."""

from __future__ import annotations

from typing import ClassVar

import pytest

from freshrepl.dataclass_lite import as_dict, dataclass_lite, field, field_names


@dataclass_lite
class Inner:
    name: str
    tags: list[str] = field(default_factory=list)


@dataclass_lite
class Outer:
    kind: ClassVar[str] = "outer"  # not a field
    number: int
    inner: Inner
    note: str = ""
    seen: int = field(default=0, compare=False)


def test_positional_keyword_and_default_arguments() -> None:
    one = Outer(1, Inner("a"), note="x")
    assert (one.number, one.inner.name, one.note, one.seen) == (1, "a", "x", 0)
    assert field_names(Outer) == ["number", "inner", "note", "seen"]
    assert Outer.kind == "outer" and Outer.note == ""


def test_default_factory_makes_a_new_value_each_time() -> None:
    first, second = Inner("a"), Inner("b")
    first.tags.append("t")
    assert second.tags == [] and not hasattr(Inner, "tags")


def test_equality_repr_and_hash_as_a_dataclass() -> None:
    assert Outer(1, Inner("a"), seen=1) == Outer(1, Inner("a"), seen=2)  # compare=False
    assert Outer(1, Inner("a")) != Outer(1, Inner("b"))
    assert Inner("a") != ("a", [])
    assert repr(Inner("a", ["t"])) == "Inner(name='a', tags=['t'])"
    with pytest.raises(TypeError):
        hash(Inner("a"))


@pytest.mark.parametrize("args, kwargs", [
    ((), {}),  # missing arguments
    ((1, Inner("a"), "", 0, "extra"), {}),  # too many
    ((1, Inner("a")), {"number": 2}),  # given twice
    ((1, Inner("a")), {"colour": "red"}),  # unknown
])
def test_wrong_arguments_raise_type_error(args: tuple, kwargs: dict) -> None:
    with pytest.raises(TypeError):
        Outer(*args, **kwargs)


def test_as_dict_goes_through_records_lists_and_dicts() -> None:
    value = Outer(1, Inner("a", ["t"]))
    assert as_dict(value) == {"number": 1, "inner": {"name": "a", "tags": ["t"]}, "note": "", "seen": 0}
    assert as_dict({"k": [Inner("b")]}) == {"k": [{"name": "b", "tags": []}]}


def test_as_dict_passes_plain_containers_through_uncopied() -> None:
    # A reply listing thousands of modules is not copied on its way out.
    names = {f"m{i}": f"/p/m{i}.py" for i in range(100)}
    paths = ["/p/a.py", "/p/b.py"]
    assert as_dict(names) is names
    assert as_dict(paths) is paths
    mixed = [1, Inner("c")]
    assert as_dict(mixed) == [1, {"name": "c", "tags": []}] and as_dict(mixed) is not mixed
