"""Whether the kernel may fork a checkpoint now: its threads, the native thread pools it can quiet, unsafe runtimes.

Forking copies only the calling thread, so a lock another thread held stays
taken forever in the child.  A fork is safe when the main thread (and
freshrepl's own lock-free threads) are all there is.  Native thread pools are
the common exception, and some can be quieted: OpenBLAS (numpy's, scipy's
default BLAS) can shut its pool down between calls and starts it again by
itself on the next threaded call (its own ``pthread_atfork`` handler does
the same), so before a checkpoint the kernel shuts down every loaded
OpenBLAS's pool, through ``ctypes``, and counts the threads again.  What is
still running then is named, with the setting that keeps it away.  Where an
OpenBLAS build offers no shutdown call, its own fork handler does the same at
the fork: the kernel then forks and checks that no thread is left in it
(``threads_left_after_fork``), else discards the child.
"""

from __future__ import annotations

import os
import sys
import threading

from freshrepl.kernel.imports import without_user_path

TYPE_CHECKING = False  # typing costs the kernel's start-up time
if TYPE_CHECKING:
    from typing import Any

# Runtimes that are known not to survive a fork once loaded (their own threads
# and device contexts); a thread started by any other runtime is caught too.
# Each with what would let the session have checkpoints.
_FORK_UNSAFE_MODULES = {
    "tensorflow": ("TensorFlow", "restarts replay from a fresh kernel"),
    "jax": ("JAX", "restarts replay from a fresh kernel"),
    "cupy": ("CuPy (CUDA)", "restarts replay from a fresh kernel"),
    "pycuda.driver": ("PyCUDA (CUDA)", "restarts replay from a fresh kernel"),
    "mpi4py.MPI": ("MPI", "restarts replay from a fresh kernel"),
}
# Threads of freshrepl's own (they hold no lock a fork could leave taken).
OWN_THREAD_PREFIX = "freshrepl-"
# Native libraries whose threads cannot be quieted, with the setting that keeps them away.
_UNQUIETABLE_POOLS = (
    ("libgomp", "GNU OpenMP (libgomp) threads are running (not safe to fork after use)",
     "OMP_NUM_THREADS=1"),
    ("libiomp", "Intel OpenMP threads are running", "OMP_NUM_THREADS=1"),
    ("libmkl", "MKL threads are running", "MKL_NUM_THREADS=1"),
)
_ANY_POOL_SETTING = "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1"


def fork_unsafe_reason() -> str | None:
    """Why the kernel must not fork now, or None when it may (quieting OpenBLAS first)."""
    if not hasattr(os, "fork") or not os.path.isdir("/proc/self/task"):
        return "checkpoints need fork() and /proc (Linux)"
    for module, (runtime, hint) in _FORK_UNSAFE_MODULES.items():
        if module in sys.modules:
            return f"{runtime} is loaded in the kernel (not safe to fork); {hint}"
    torch_cuda = sys.modules.get("torch.cuda")
    if torch_cuda is not None and getattr(torch_cuda, "is_initialized", lambda: False)():
        return ("CUDA is initialised in the kernel (torch; not safe to fork); "
                "CUDA_VISIBLE_DEVICES= before starting freshrepl keeps it away")
    python_threads = _python_threads()
    if python_threads:
        plural = "s are" if len(python_threads) > 1 else " is"
        return f"a thread{plural} running in the kernel ({', '.join(python_threads[:3])})"
    native = _native_threads()
    if native and quiet_openblas():
        native = _native_threads()
    if native is None:
        return "cannot count the kernel's threads"
    if native and not _openblas_alone(_loaded_libraries()):
        return _native_threads_reason(native)
    return None  # with threads left, only OpenBLAS's: see threads_left_after_fork


def threads_left_after_fork() -> str | None:
    """In the parent, right after the fork: why the child is not safe, if it is not.

    OpenBLAS's pool can be left running by a build without the shutdown call
    above; its own ``pthread_atfork`` handler shuts it down before any fork.
    So a fork that leaves no thread besides ours in the parent was made with
    no other thread running, and the child is sound; if threads are left
    (another library's), the child must be discarded.
    """
    native = _native_threads()
    if native is None:
        return "cannot count the kernel's threads"
    return _native_threads_reason(native) if native else None


def _openblas_alone(libraries: set[str]) -> bool:
    """Is OpenBLAS loaded, and no other library known to run a pool?"""
    names = [os.path.basename(path).lower() for path in libraries]
    return (any("openblas" in name for name in names)
            and not any(marker in name for name in names for marker, _, _ in _UNQUIETABLE_POOLS))


def _python_threads() -> list[str]:
    """The names of the threads started from Python besides the main one and ours."""
    main = threading.main_thread()
    return [t.name for t in threading.enumerate()
            if t is not main and not t.name.startswith(OWN_THREAD_PREFIX)]


def _native_threads() -> int | None:
    """Threads besides the main one and ours (none started from Python: see above)."""
    own = sum(1 for t in threading.enumerate() if t.name.startswith(OWN_THREAD_PREFIX))
    try:
        return len(os.listdir("/proc/self/task")) - 1 - own
    except OSError:
        return None


def _native_threads_reason(count: int) -> str:
    libraries = _loaded_libraries()
    plural = "s" if count > 1 else ""
    verb = "are" if count > 1 else "is"
    for marker, what, setting in _UNQUIETABLE_POOLS:
        if any(marker in os.path.basename(path) for path in libraries):
            return f"{what}; {setting} before starting freshrepl keeps them away"
    return (f"{count} thread{plural} started by native code {verb} running; "
            f"if it is a library's pool, {_ANY_POOL_SETTING} before starting freshrepl may keep it away")


def quiet_openblas() -> bool:
    """Shut down the thread pool of every OpenBLAS loaded; True if there was one.

    OpenBLAS starts it again on its next threaded call.  Called only when no
    thread started from Python runs (none can be inside OpenBLAS).
    """
    found = False
    for path in _loaded_libraries():
        if "openblas" not in os.path.basename(path).lower():
            continue
        shutdown = _symbol(path, "blas_thread_shutdown_")
        if shutdown is not None:
            shutdown()
            found = True
    return found


def _symbol(path: str, name: str) -> Any:
    """``name`` in the already loaded library ``path``, or None (never loads a library)."""
    try:
        with without_user_path():
            import ctypes

        library = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        return getattr(library, name)
    except (OSError, AttributeError, ImportError):
        return None


def _loaded_libraries() -> set[str]:
    """The shared libraries mapped into the kernel (from /proc/self/maps)."""
    libraries = set()
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rstrip("\n").partition("/")[2]
                if ".so" in path:
                    libraries.add("/" + path)
    except OSError:
        pass
    return libraries
