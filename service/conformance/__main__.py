"""`python -m service.conformance`: the `cors-conformance` command."""

from service.conformance.cli import main

raise SystemExit(main())
