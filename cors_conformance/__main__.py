"""`python -m cors_conformance`: the `cors-conformance` command."""

from cors_conformance.console import main

raise SystemExit(main())
