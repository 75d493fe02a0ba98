"""Socket.IO handlers: the connect gate. Actions arrive with the live room."""
from __future__ import annotations

from typing import Any

from flask import session
from flask_login import current_user
from flask_socketio import join_room

from workspace.extensions import socketio
from workspace.services import accounts


@socketio.on("connect")
def on_connect(auth: Any = None) -> bool:
    """Browsers come with their session cookie, scripts with auth={"token": ...}; nobody else."""
    user = None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str):
        user = accounts.user_for_api_token(auth["token"])
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
        join_room(accounts.login_room(session["lsid"]))
    if user is None:
        return False
    session["socket_user_id"] = user.id
    join_room(f"user:{user.id}")
    return True
