"""One rule says when extra work may be priced; the view's `price` action and the service both use it."""
from __future__ import annotations

import pytest

from workspace.domain.milestones import extra_work_to_price


@pytest.mark.parametrize("state, decision, out_of_scope, revision, included, expected", [
    ("changes_requested", "changes_requested", False, 1, 1, False),  # within the included rounds
    ("changes_requested", "changes_requested", False, 2, 1, True),   # beyond them
    ("changes_requested", "changes_requested", True, 1, 3, True),    # marked out of scope
    ("submitted", "changes_requested", True, 1, 3, False),           # already resubmitted
    ("changes_requested", None, True, None, 0, False),               # no change request
    ("changes_requested", "changes_requested", False, None, 0, False),
])
def test_extra_work_is_priced_only_beyond_the_agreed_revisions(state, decision, out_of_scope, revision, included,
                                                               expected):
    assert extra_work_to_price(state, decision, out_of_scope, revision, included) is expected
