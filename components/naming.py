"""Resource names that fit: every Google or Kubernetes name is derived from a component's name through here.

A name its rule accepts is used as is, so the names of short stacks never change. A longer one becomes a
readable prefix of it and a short hash of the whole, so two long names that share a prefix stay distinct and
the same stack always gets the same names.
"""

from __future__ import annotations

import hashlib

from facts.gcp import AUTONAME_SUFFIX_LENGTH, NameRule

HASH_LENGTH = 6
# Stands in for Pulumi's random auto-name suffix when checking a logical name: a hyphen and 7 hex characters.
_AUTONAME_SUFFIX_SAMPLE = "-" + "0" * (AUTONAME_SUFFIX_LENGTH - 1)


def fit_name(wanted: str, rule: NameRule, *, autonamed: bool = False) -> str:
    """`wanted` if `rule` accepts it, else a readable prefix of it plus `-<hash>` that the rule accepts.

    With `autonamed`, `wanted` is a logical name that Pulumi extends by a random suffix to make the resource's
    name; the suffix is counted against the rule. Raises ValueError when nothing derived from `wanted` fits.
    """
    suffix = _AUTONAME_SUFFIX_SAMPLE if autonamed else ""
    if rule.accepts(wanted + suffix):
        return wanted
    room = rule.max_length - len(suffix)
    digest = hashlib.sha256(wanted.encode()).hexdigest()[:HASH_LENGTH]
    readable = rule.invalid_characters.sub("-", wanted.lower()) if rule.invalid_characters else wanted
    readable = readable[: room - HASH_LENGTH - 1].rstrip("-_.")
    fitted = f"{readable}-{digest}" if readable else digest
    if not rule.accepts(fitted + suffix):
        raise ValueError(
            f"no name derived from {wanted!r} fits: at most {rule.max_length} characters matching "
            f"{rule.pattern.pattern} ({rule.source})"
        )
    return fitted
