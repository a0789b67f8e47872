"""What every scenario model shares: the pydantic configuration and a non-empty text type."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, StringConstraints

# Unknown keys are refused; fields are also accepted by their Python names, so code can build the objects.
CONFIG = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)
Text = Annotated[str, StringConstraints(strict=True, min_length=1)]
