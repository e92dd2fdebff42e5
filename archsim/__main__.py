"""``python -m archsim ...`` is the ``archsim`` command line."""

from archsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
