"""The reload engine: runs in the kernel and patches the user's changed modules in place.

Modules:

- ``userfiles``  which files are the user's (outside stdlib, site-packages, freshrepl)
- ``hook``       the import hook that keeps the exact source each user module ran
- ``tracking``   which user modules are loaded (the delta the shell watches)
- ``files``      the per-file check: changed text, or a result to report (``FileCheck``)
- ``analysis``   static facts from the AST: bound/read names, imports, code indexes
- ``plan``       which statements changed, the names they bind, dependency order
- ``rules``      every reason a change is refused, as rule lists per event (read this one
                 to know what applies; nothing else makes an ``Unsafe``)
- ``context``    ``ReloadContext``: one module's reload, shared by apply, classes, functions
- ``apply``      one module's transactional reload (``ModuleReload``: run, commit, undo)
- ``functions``  a changed ``def`` patched into the existing function object
- ``classes``    a changed ``class`` patched onto the existing class object
- ``closures``   closures and wrappers made earlier by a changed function
- ``patching``   low-level patching of functions and classes, with an undo log
- ``positions``  true line numbers for unchanged code that moved
- ``objects``    looking at user and library objects without running their code
- ``derived``    what the standard library derived from old code, recomputed
- ``rebind``     ``from mod import name`` bindings in ``__main__`` and user modules
- ``report``     notice summaries, error locations and tracebacks
- ``order``      the changed modules in dependency order; who could hold their results
- ``engine``     ``Reloader``, the object the kernel drives

Choices worth knowing (the contract is docs/contract.md, "Live reload"):

- Transactions are "run in place, undo on failure": changed statements run in the
  module's own namespace after a snapshot of it; every patched function, class
  and closure cell is logged, so an exception or an unsafe finding restores the
  namespace and the objects.  Mutations that user code itself makes to existing
  objects while it runs (``some_list.append``) cannot be undone (a decorator's
  registration of a re-decorated function is taken out again, best effort).
- A changed ``def`` is recompiled without re-applying its decorators (when they
  did not change) and its code is put into the existing function object, found
  through ``__wrapped__``/``__func__``/accessors/closures: registrations are not
  repeated, lru caches are cleared, singledispatch registries kept, and a
  library that kept the function (a pydantic validator) runs the new code.
  When the decorator expression changed, the statement runs again and the old
  object is patched from the new one (the new wrapper's values are taken); if the
  decorator now makes a different kind of object or registered it again, the
  change is unsafe.
- A changed ``class`` runs only its body (no metaclass call, no decorators, no
  ``__init_subclass__``).  In a class built by machinery only method bodies,
  plain methods and the docstring apply; the rest is refused (``rules``).
- Closures made earlier by a changed function (a factory's products, a
  decorator's wrappers) are found with ``gc.get_referrers`` on the old nested
  code objects, in one pass, only for such edits, and get the new code.
- User and library objects are only ever looked at statically (``objects``): their
  real type, the dict ``type()`` gave them, slots, ``gc.get_referents``; never
  ``getattr``, ``isinstance``, ``==``, ``hash``, ``bool`` or ``repr`` on them, so a
  proxy (Flask's ``request``, Django's lazy ``settings``) cannot stop a reload.
- ``:reload NAME`` (deep) treats every statement as changed: values are
  recomputed, functions and classes keep their identity, decorators are not
  re-applied; in a machinery-built class only the methods are redone.
"""

from freshrepl.protocol import ReloadResult
from freshrepl.reload.engine import Reloader

__all__ = ["Reloader", "ReloadResult"]
