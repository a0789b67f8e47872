"""What every scenario model shares: the pydantic configuration, a non-empty text type and a URL path type."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, StringConstraints

# Unknown keys are refused; fields are also accepted by their Python names, so code can build the objects.
# NaN and infinities are refused in every float field: a bound of nan is a gate that can never fail.
CONFIG = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True, allow_inf_nan=False)
Text = Annotated[str, StringConstraints(strict=True, min_length=1)]


def _absolute(v: str) -> str:
    if not v.startswith("/"):
        raise ValueError(f"expected a path starting with '/', got {v!r}")
    return v


# A path on the app under test: pages and load requests alike start at its root.
UrlPath = Annotated[str, StringConstraints(strict=True, min_length=1), AfterValidator(_absolute)]
