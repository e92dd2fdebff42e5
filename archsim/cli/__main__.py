"""``python -m archsim.cli``: the archsim command line."""

from archsim.cli import main

raise SystemExit(main())
