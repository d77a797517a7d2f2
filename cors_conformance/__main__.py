"""`python -m cors_conformance`: the `cors-conformance` command."""

from cors_conformance.cli import main

raise SystemExit(main())
