"""``python -m bigbadminima`` = the ``bigbadminima`` command."""

from .cli import main

raise SystemExit(main())
