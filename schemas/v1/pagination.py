"""Page numbers for the v1 lists (`?page=&per_page=`), and the `pagination` they answer."""

import math

from pydantic import BaseModel, ConfigDict, Field

from schemas.v1.pipeline import PaginationMeta

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# The offset `(page - 1) * per_page` must fit PostgreSQL's bigint.
MAX_PAGE = (2**63 - 1) // MAX_PER_PAGE


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    page: int = Field(1, ge=1, le=MAX_PAGE, description="The page, from 1")
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE, description="Items per page")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def pagination_meta(query: PageQuery, total: int) -> PaginationMeta:
    """`total_pages` is 0 for an empty list; a page past the last is empty, not an error."""
    return PaginationMeta(
        page=query.page, per_page=query.per_page, total=total, total_pages=math.ceil(total / query.per_page)
    )
