"""Build tools of the course website (not course material).

``make`` runs these scripts: ``bench`` (execute and measure every chapter),
``student`` (the edition without solutions) and ``colab_cell`` (the hidden
set-up cell of every chapter). They live here, apart from ``helpers/`` (the
numerics the chapters import) and ``.ci/`` (the CI entry point); the tests
import them as ``tools.<module>``.
"""
