"""Built-in compliance profiles, shipped as TOML data (issue 11, "Built-in profiles").

One file per profile (aicpa, ca, ny, tx, fl, il), in the same documented
format a user writes in ``$CPE_HOME/profiles``, so every rule can be read next
to its source and copied as a starting point. ``cpe_cli.core.profiles`` parses
them; there is no code here on purpose: a rule that changes is an edit to
data, with its citation and ``as_of`` date beside it.
"""
