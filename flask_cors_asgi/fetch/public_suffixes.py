"""Which hosts are public suffixes, for refusing `https://*.<suffix>` with credentials.

jub0bs/cors asks golang.org/x/net/publicsuffix, which embeds the whole Public Suffix List. No
package carrying that list is among this project's dependencies, so this module applies the list's
own algorithm to a built-in excerpt: every single-label host is a public suffix (the list's implicit
`*` rule, which also covers every top-level domain), and so are the common multi-label suffixes
below, from the list's ICANN section (country second-level domains) and its private section
(hosting platforms where anyone gets a subdomain). A suffix missing here is not refused: the
excerpt errs towards accepting a configuration, never towards refusing a sound one.
"""

from __future__ import annotations

_MULTI_LABEL = frozenset(
    {
        # ICANN section: second-level domains open to registration.
        *(
            f"{label}.uk"
            for label in ("ac", "co", "gov", "ltd", "me", "net", "nhs", "org", "plc", "police", "sch")
        ),
        *(f"{label}.au" for label in ("asn", "com", "edu", "gov", "id", "net", "org")),
        *(f"{label}.jp" for label in ("ac", "ad", "co", "ed", "go", "gr", "lg", "ne", "or")),
        *(f"{label}.nz" for label in ("ac", "co", "geek", "gen", "govt", "net", "org", "school")),
        *(f"{label}.br" for label in ("com", "edu", "gov", "net", "org")),
        *(f"{label}.cn" for label in ("ac", "com", "edu", "gov", "net", "org")),
        *(f"{label}.in" for label in ("ac", "co", "edu", "firm", "gen", "gov", "ind", "net", "org", "res")),
        *(f"{label}.za" for label in ("ac", "co", "gov", "net", "org", "web")),
        *(f"{label}.mx" for label in ("com", "edu", "gob", "net", "org")),
        *(f"{label}.kr" for label in ("ac", "co", "go", "ne", "or", "re")),
        *(f"{label}.tw" for label in ("com", "edu", "gov", "idv", "net", "org")),
        *(f"{label}.hk" for label in ("com", "edu", "gov", "idv", "net", "org")),
        *(f"{label}.sg" for label in ("com", "edu", "gov", "net", "org")),
        *(f"{label}.tr" for label in ("com", "edu", "gen", "gov", "net", "org")),
        *(f"{label}.ar" for label in ("com", "gob", "net", "org")),
        *(f"{label}.il" for label in ("ac", "co", "gov", "net", "org")),
        # Private section: platforms that hand out subdomains to anyone.
        "appspot.com",
        "azurestaticapps.net",
        "azurewebsites.net",
        "bitbucket.io",
        "blogspot.com",
        "cloudapp.net",
        "cloudfront.net",
        "codeberg.page",
        "deno.dev",
        "firebaseapp.com",
        "fly.dev",
        "github.io",
        "gitlab.io",
        "glitch.me",
        "herokuapp.com",
        "netlify.app",
        "ngrok-free.app",
        "ngrok.io",
        "onrender.com",
        "pages.dev",
        "pythonanywhere.com",
        "r2.dev",
        "readthedocs.io",
        "surge.sh",
        "trycloudflare.com",
        "vercel.app",
        "web.app",
        "workers.dev",
    }
)


def is_public_suffix(host: str) -> bool:
    """Whether `host` (lower-case, no trailing dot) is itself a public suffix."""
    return "." not in host or host in _MULTI_LABEL
