"""The taxonomy file's shape (``policies/taxonomy.yaml``), as :mod:`dataflow_rules.taxonomy`
validates it before building a :class:`~dataflow_rules.models.taxonomy.Taxonomy`.

Apart from :mod:`.taxonomy` because only a parse reads it: a taxonomy from the policy cache
is unpickled whole, so a cold ``check`` does not define these two models (about 1 ms).
"""

from pydantic import BaseModel, ConfigDict, Field

from .common import new_dict
from .taxonomy import Mechanism


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    description: str = Field(min_length=1)
    personal: bool | None = None
    national_security: bool | None = None
    children: dict[str, "_Node"] = Field(default_factory=new_dict)


class _TaxonomyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    version: str
    categories: dict[str, _Node]
    purposes: dict[str, str]
    recipient_types: dict[str, str]
    transactions: dict[str, str]
    requirements: dict[str, str]
    mechanisms: dict[str, Mechanism] = Field(default_factory=new_dict)
    security_measures: dict[str, str] = Field(default_factory=new_dict)
