"""The differential checker: does a live reload behave as a fresh interpreter would?

- ``case``        a case (files, an edit, setup, probes) and its layout on disk
- ``probes``      the observation helpers both sides run
- ``kernelside``  a real kernel driven through the protocol; wrong reloaders for self-tests
- ``fresh``       the fresh-interpreter oracle (a fork server)
- ``checker``     running a case and classifying it RIGHT, REFUSED, WRONG (or ERROR)
- ``corpus_classes``, ``corpus_functions``, ``corpus_indirect``  hand-written cases
- ``corpus_stdlib``  generated edits over copies of pure-Python stdlib modules
- ``corpus_flask``, ``corpus_django``, ``corpus_fastapi``, ``corpus_cli``,
  ``corpus_sqlalchemy``, ``corpus_pydantic``, ``corpus_attrs``, ``corpus_numpy``,
  ``corpus_pandas``  small real projects, edited as their users do
- ``corpus_objects``  modules holding proxies and objects that raise when touched
- ``corpus_stdlib_derived``  caches, registries and methods the stdlib derived from code
- ``corpora``     every corpus by name, with its preload and its CI sample
"""
