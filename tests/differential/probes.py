"""The observation helpers both sides run in ``__main__``: probe results, code prints, state prints.

``HELPERS`` is source text executed in the kernel's ``__main__`` (through one
console input) and in every fresh interpreter, so that both observe with the
very same code.  It binds one name, ``__dcheck__``, with:

- ``observe(exprs, seconds)``: for each probe expression, ``"= repr"`` or
  ``"! ExcType: message"`` (or ``"timeout"``), addresses blanked, long texts
  cut to a prefix plus a digest;
- ``code(obj)``: a print of the code a callable runs (constants, names,
  variables, flags, defaults, plain closure values; recursively for nested
  code, property accessors, ``__wrapped__`` chains), comparable across
  processes.  The bytecode itself is left out: see ``code_key``;
- ``state(modules, main_names)``: identities of everything reachable from the
  modules' namespaces and classes, and of ``__main__`` bindings, comparable
  within one process (did a refused reload change anything?);
- ``dump(path, value)``: write JSON for the checker.
"""

from __future__ import annotations

HELPERS = r'''
def __dcheck_make__():
    import hashlib, json, re, signal, sys, types

    class ProbeTimeout(BaseException):
        pass

    address = re.compile(r"0x[0-9a-fA-F]{4,}")

    def text(value):
        value = address.sub("0x?", value)
        if len(value) > 5000:  # kept long enough to show where two results part
            digest = hashlib.sha1(value.encode("utf-8", "backslashreplace")).hexdigest()[:16]
            value = value[:4000] + "... sha1:" + digest
        return value

    def describe_exception(exc):
        try:
            message = str(exc)
        except BaseException:
            message = "<str() failed>"
        return "! " + type(exc).__qualname__ + ": " + text(message)

    def alarm(signum, frame):
        raise ProbeTimeout()

    def observe_one(expr, namespace, seconds):
        previous = signal.signal(signal.SIGALRM, alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            try:
                value = eval(expr, namespace)
                return "= " + text(repr(value))
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except ProbeTimeout:
            return "timeout"
        except BaseException as exc:
            return describe_exception(exc)
        finally:
            signal.signal(signal.SIGALRM, previous)

    def observe(exprs, seconds):
        namespace = sys.modules["__main__"].__dict__
        return [observe_one(expr, namespace, seconds) for expr in exprs]

    def constant(value):
        if isinstance(value, types.CodeType):
            return code_key(value)
        if isinstance(value, (tuple, frozenset)):
            return (type(value).__name__, tuple(constant(v) for v in value))
        return (type(value).__name__, text(repr(value)))

    def code_key(code):
        # Not co_code: the bytecode of one function depends on what else was compiled
        # with it (3.11+ loads ``module.attr`` differently when it can see the
        # ``import``), and the engine compiles a changed function alone.
        return (code.co_name, code.co_names, code.co_varnames,
                code.co_freevars, code.co_cellvars, code.co_flags, code.co_argcount,
                code.co_posonlyargcount, code.co_kwonlyargcount,
                tuple(constant(c) for c in code.co_consts))

    # Objects are looked at through their real type only, never through attributes they
    # answer themselves: a proxy (werkzeug's, Django's settings, lazy-object-proxy) runs
    # code or raises when touched, and the checker must not change what it observes.
    def kind(obj, types_):
        return issubclass(type(obj), types_)

    def is_wrapt(obj):
        return type(obj).__module__.startswith("wrapt")  # keeps its target in a slot of its own

    def own_dict(obj):
        """The instance dict, read only where attribute lookup is the plain one."""
        mro = type(obj).__mro__
        if any("__getattribute__" in vars(klass) for klass in mro[:-1]):
            return {}  # a proxy's lookup (lazy-object-proxy's loads its target)
        descriptor = next((vars(k)["__dict__"] for k in mro if "__dict__" in vars(k)), None)
        if type(descriptor) is not types.GetSetDescriptorType:
            return {}  # none, or one of the class's own (werkzeug's proxies forward it)
        return descriptor.__get__(obj)

    def plain(value):
        if kind(value, (int, float, complex, str, bytes, bool, type(None))):
            return text(repr(value))
        return type(value).__name__

    def functions(obj, seen, depth=0):
        """The Python functions ``obj`` runs when called or looked up."""
        if id(obj) in seen or depth > 8:
            return []
        seen.add(id(obj))
        if kind(obj, types.MethodType):
            return functions(obj.__func__, seen, depth + 1)
        if kind(obj, (staticmethod, classmethod)):
            return functions(obj.__func__, seen, depth + 1)
        if kind(obj, property):
            found = []
            for accessor in (obj.fget, obj.fset, obj.fdel):
                if accessor is not None:
                    found += functions(accessor, seen, depth + 1)
            return found
        found = []
        if kind(obj, types.FunctionType):
            found.append(obj)
        if not kind(obj, type):
            inner = wrapped(obj)
            if inner is not None:
                found += functions(inner, seen, depth + 1)
        return found

    def wrapped(obj):
        """What a decorator's product wraps (functools.wraps, lru_cache, partial, wrapt)."""
        if is_wrapt(obj):
            return obj.__wrapped__
        own = own_dict(obj)
        if "__wrapped__" in own:
            return own["__wrapped__"]
        if type(obj).__name__ in ("partial", "cached_property", "partialmethod"):
            return obj.func
        return None

    def function_key(fn):
        cells = []
        for cell in fn.__closure__ or ():
            try:
                cells.append(plain(cell.cell_contents))
            except ValueError:
                cells.append("<empty>")
        return (code_key(fn.__code__), plain(fn.__defaults__) if fn.__defaults__ is None
                else tuple(plain(d) for d in fn.__defaults__),
                sorted((k, plain(v)) for k, v in (fn.__kwdefaults__ or {}).items()), cells)

    def short_constant(value):
        if isinstance(value, types.CodeType):
            return "<code " + value.co_name + ">"
        shown = repr(value)
        if len(shown) > 40:
            digest = hashlib.sha1(shown.encode("utf-8", "backslashreplace")).hexdigest()[:8]
            shown = shown[:30] + "...#" + digest
        return shown

    def code_lines(code, path):
        """One line per code object: its name, a digest of all of it, its constants."""
        digest = hashlib.sha1(repr(code_key(code)).encode()).hexdigest()[:12]
        consts = ", ".join(short_constant(c) for c in code.co_consts)
        lines = [path + " " + digest + " [" + address.sub("0x?", consts) + "]"]
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                lines += code_lines(const, path + "." + const.co_name)
        return lines

    def code(obj):
        """A print of the code ``obj`` runs; equal prints mean the same compiled code."""
        found = functions(obj, set())
        if not found:
            return "no Python function in " + type(obj).__name__
        lines = []
        for fn in found:
            key = function_key(fn)
            lines += code_lines(fn.__code__, fn.__code__.co_name)
            lines.append("  defaults " + repr(key[1]) + " kwdefaults " + repr(key[2])
                         + " cells " + repr(key[3]))
        return " | ".join(lines)

    def module_of(value):
        """The module that made ``value``: a function's or class's own, else its type's."""
        if kind(value, types.FunctionType):
            return value.__module__
        if kind(value, type):
            return type.__dict__["__module__"].__get__(value)
        if is_wrapt(value):
            return module_of(value.__wrapped__)
        return own_dict(value).get("__module__", type(value).__module__)  # functools.wraps's

    def identity(value, owner, depth):
        """Identities of ``value`` and, if ``owner`` made it, of its code and members
        (another module's objects are that module's business)."""
        parts = [type(value).__name__, str(id(value))]
        if kind(value, (list, dict, set)):
            parts.append("len " + str(len(value)))
        if module_of(value) != owner and not kind(value, (staticmethod, classmethod, property)):
            return ";".join(parts)
        for fn in functions(value, set()):
            parts += [str(id(fn)), str(id(fn.__code__)), str(id(fn.__defaults__)),
                      str(id(fn.__kwdefaults__))]
            for cell in fn.__closure__ or ():
                try:
                    parts.append(str(id(cell.cell_contents)))
                except ValueError:
                    parts.append("empty")
        if kind(value, type) and depth < 3:
            for key, member in list(vars(value).items()):
                parts.append(key + "=" + identity(member, owner, depth + 1))
        return ";".join(parts)

    def state(modules, main_names):
        found = {}
        for name in modules:
            module = sys.modules.get(name)
            if module is None:
                found[name] = "not imported"
                continue
            for key, value in list(vars(module).items()):
                found[name + "." + key] = identity(value, name, 0)
        namespace = sys.modules["__main__"].__dict__
        for key in sorted(main_names):
            found["__main__." + key] = str(id(namespace[key])) if key in namespace else "unbound"
        return found

    def dump(path, value):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(value, handle)

    return types.SimpleNamespace(observe=observe, code=code, state=state, dump=dump)


__dcheck__ = __dcheck_make__()
del __dcheck_make__
'''

# Probe result prefixes (see ``observe``).
VALUE, RAISED, TIMEOUT = "= ", "! ", "timeout"


def unbound_name(result: str) -> str | None:
    """The name in a ``NameError`` probe result, else None."""
    prefix = "! NameError: name '"
    if result.startswith(prefix):
        return result[len(prefix):].split("'", 1)[0]
    return None
