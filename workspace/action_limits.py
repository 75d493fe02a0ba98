"""How often one person may do each room action, whatever the transport: a socket action and the
same action over HTTP draw on one budget (per user and action, shared across workers via Redis)."""
from __future__ import annotations

from typing import Any

from workspace.domain.errors import RateLimited
from workspace.ratelimit import limiter

# Per user and action: (events, seconds). Config key SOCKET_RATE_LIMITS may override any of them.
DEFAULT_RATES: dict[str, tuple[int, int]] = {
    "join": (60, 10), "leave": (60, 10), "message": (20, 10), "edit_message": (20, 10),
    "delete_message": (20, 10), "progress": (10, 60), "typing": (30, 10), "read": (60, 10),
    "signal": (600, 10), "live_start": (10, 60), "live_resume": (20, 60), "live_pause": (30, 60),
    "live_stop": (20, 60), "live_heartbeat": (30, 60), "live_watch": (60, 60), "visibility": (60, 10),
    # Over HTTP only: each writes rows and an event, and nothing else bounds how many one account makes.
    "job_create": (50, 3600), "invite_create": (100, 3600),
}
WORDS = {"job_create": "new jobs", "invite_create": "invitation links"}


def take_slot(name: str, user_id: int, config: Any) -> None:
    """Count one `name` action by the user; RateLimited once over the limit."""
    limit, window = config.get("SOCKET_RATE_LIMITS", {}).get(name, DEFAULT_RATES[name])
    retry = limiter.take(f"act:{name}:{user_id}", limit, window)
    if retry:
        what = WORDS.get(name, f"'{name}' actions")
        raise RateLimited(f"Too many {what} in a short time; wait {retry} s.", retry_after=retry)
