"""The reload engine: runs in the kernel and patches the user's changed modules in place.

Modules:

- ``userfiles``  which files are the user's (outside stdlib, site-packages, freshrepl)
- ``hook``       the import hook that keeps the exact source each user module ran
- ``analysis``   static facts from the AST: bound/read names, imports, code indexes
- ``apply``      one module's transactional reload (plan, run, patch, undo)
- ``patching``   in-place patching of functions and classes, with an undo log
- ``rebind``     ``from mod import name`` bindings in ``__main__`` and user modules
- ``report``     notice summaries, error locations and tracebacks
- ``engine``     ``Reloader``, the object the kernel drives

Choices worth knowing (the contract is docs/contract.md, "Live reload"):

- Transactions are "run in place, undo on failure": changed statements run in the
  module's own namespace after a snapshot of it; every patched function, class
  and closure cell is logged, so an exception or an unsafe finding restores the
  namespace and the objects.  Mutations that user code itself makes to existing
  objects while it runs (``some_list.append``) cannot be undone.
- A changed ``def`` is recompiled without re-applying its decorators (when they
  did not change) and its code is put into the existing function object, found
  through ``__wrapped__``/closures: registrations are not repeated, lru caches
  are cleared, singledispatch registries kept.  When the decorator expression
  changed, the statement runs again and the old object is patched from the new
  one (plain settings in the wrapper's closure follow, mutable state is kept);
  if the decorator now makes a different kind of object, the change is unsafe.
- A changed ``class`` runs only its body (no metaclass call, no decorators, no
  ``__init_subclass__``) and copies onto the existing class the members whose
  statements changed (or read a changed name); new methods' ``__class__`` cell
  points at the existing class.  A method that gains or loses ``super()`` cannot
  change its closure, so the old function object forwards to the new one.
- ``:reload NAME`` (deep) treats every statement as changed: values are
  recomputed, functions and classes keep their identity, decorators are not
  re-applied.
"""

from freshrepl.protocol import ReloadResult
from freshrepl.reload.engine import Reloader

__all__ = ["Reloader", "ReloadResult"]
