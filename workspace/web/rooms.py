"""Pages of one job: the room, the agreement (terms, diff, accept, propose) and invitations."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import login_required

from workspace.domain.agreement import diff_terms, scope_diff
from workspace.domain.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from workspace.domain.money import CURRENCIES, OFFERED_CURRENCIES
from workspace.domain.roles import PENDING_CLIENT, can
from workspace.services import agreements, disputes, events, invites, jobs, members
from workspace.web.forms import DEFAULT_FORM, form_from_terms, read_form, terms_from_form
from workspace.web.http import actor

bp = Blueprint("rooms", __name__, url_prefix="/jobs/<job_id>")


@bp.get("/")
@login_required
def room(job_id: str) -> Any:
    """The room renders no history itself: the page script joins over Socket.IO and pages back by seq,
    so a room with 50,000 events opens as fast as an empty one."""
    user = actor()
    job = jobs.get_job(user, job_id)
    state = {
        "job": {key: job[key] for key in ("id", "title", "status", "last_seq", "last_read_seq", "members")},
        "me": {"id": user.id, "name": user.name, "role": job["role"]},
        "can_post": can(job["role"], "message.post"),
        "progress": job["progress"],
        "deadline": job["agreement"]["terms"]["deadline"] if job["agreement"] else None,
        "full_job": job,
        "live": job["live"],
        "snapshot_seconds": job["snapshot_seconds"],
        "ice_servers": current_app.config["ICE_SERVERS"],
        "away": events.away_summary(user, job_id),
    }
    return render_template("rooms/room.html", job=job, state=state,
                           can_post=state["can_post"], can_progress=can(job["role"], "progress.post"))


@bp.get("/agreement")
@login_required
def agreement(job_id: str) -> Any:
    user = actor()
    job = jobs.get_job(user, job_id)
    pending, in_force = job["pending_agreement"], job["agreement"]
    accepted_by_me = bool(pending) and any(a["user"]["id"] == user.id for a in pending["acceptances"])
    # A client still pending accepts the version in force first (services/agreements.py says why), and
    # is a client once every full client admitted them too: `me_joining` says where they stand.
    joining = job["role"] == PENDING_CLIENT
    me_joining = next((w for w in (in_force or {}).get("awaiting", []) if w["user"]["id"] == user.id), None)
    return render_template(
        "rooms/agreement.html", job=job, pending=pending, in_force=in_force,
        diff=diff_terms(in_force["terms"] if in_force else None, pending["terms"]) if pending else None,
        scope_diff=scope_diff(in_force["terms"]["scope"] if in_force else None,
                              pending["terms"]["scope"]) if pending else None,
        can_accept=bool(pending) and can(job["role"], "agreement.accept") and not joining and not accepted_by_me
        and job["status"] != "completed",
        can_accept_in_force=joining and bool(in_force) and not (me_joining and me_joining["accepted"]),
        me_joining=me_joining if joining else None,
        can_propose=can(job["role"], "agreement.propose") and job["status"] != "completed",
        history=agreements.list_agreements(user, job_id),
        settlements=disputes.settlements(user, job_id) if in_force else [],
    )


CREATED_INVITE = "created_invite"  # the link just made, shown once by the page the POST redirects to


@bp.route("/agreement/propose", methods=["GET", "POST"])
@login_required
def agreement_form(job_id: str) -> Any:
    user = actor()
    job = jobs.get_job(user, job_id)
    if not can(job["role"], "agreement.propose"):
        raise Forbidden("Accept the terms in force first; then you can propose changes."
                        if job["role"] == PENDING_CLIENT else "Viewers cannot propose terms.")
    if job["status"] == "completed":
        flash(agreements.COMPLETED_TERMS, "error")
        return redirect(url_for("rooms.agreement", job_id=job_id))
    if request.method == "GET":
        base = job["pending_agreement"] or job["agreement"]
        form = form_from_terms(base["terms"]) if base else DEFAULT_FORM
        return _render_form(job, form, {}, None)
    typed = read_form(request.form)
    terms, errors = terms_from_form(typed)
    try:
        if errors:  # amounts that did not read: the rest is checked too, so every mistake shows at once
            raise Invalid("Some terms need attention.", fields={**agreements.terms_problems(job, terms), **errors})
        proposed = agreements.propose_agreement(user, job_id, terms)
    except Invalid as exc:
        return _render_form(job, typed, {**exc.fields, **errors}, exc.message), 422
    except Conflict as exc:
        return _render_form(job, typed, {}, exc.message), 409
    flash(f"Version {proposed['version']} proposed. The other side can now review and accept it.", "success")
    if job["status"] == "draft" and not any(m["role"] == "client" for m in job["members"]):
        return redirect(url_for("rooms.invitations", job_id=job_id))
    return redirect(url_for("rooms.agreement", job_id=job_id))


def _render_form(job: dict[str, Any], form: dict[str, Any], errors: dict[str, str], message: str | None) -> Any:
    if not form.get("milestones"):
        form = {**form, "milestones": DEFAULT_FORM["milestones"]}
    return render_template("rooms/agreement_form.html", job=job, form=form, errors=errors, message=message,
                           currencies=_currencies(form.get("currency")), first=bool(request.args.get("first")))


def _currencies(current: Any) -> tuple[str, ...]:
    """What the terms form offers: the currencies people pay in, and the terms' own if it is a fund code."""
    return tuple(sorted({*OFFERED_CURRENCIES, current})) if current in CURRENCIES else OFFERED_CURRENCIES


@bp.post("/agreement/<int:version>/accept")
@login_required
def accept(job_id: str, version: int) -> Any:
    try:
        agreements.accept_agreement(actor(), job_id, version, request.form.get("terms_hash") or None)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("rooms.agreement", job_id=job_id))
    flash(f"You accepted version {version}.", "success")
    return redirect(url_for("rooms.agreement", job_id=job_id))


@bp.route("/invites", methods=["GET", "POST"])
@login_required
def invitations(job_id: str) -> Any:
    user = actor()
    job = jobs.get_job(user, job_id)
    if not can(job["role"], "invite.list"):  # clients invite from the room's Info tab (invite-form.js)
        raise Forbidden("Only the freelancer manages this job's invitations.")
    if request.method == "POST":
        try:
            created = invites.create_invite(user, job_id, request.form.get("role"),
                                            ttl=timedelta(days=current_app.config["INVITE_TTL_DAYS"]))
            # Shown once, on the page the browser is sent to: a reload there makes no second link.
            session[CREATED_INVITE] = {"job": job_id, "role": created["role"], "expires_at": created["expires_at"],
                                       "url": url_for("invites.show", token=created["token"], _external=True)}
        except (Invalid, Conflict, RateLimited) as exc:
            flash(exc.message, "error")
        return redirect(url_for("rooms.invitations", job_id=job_id), code=303)
    created = session.pop(CREATED_INVITE, None)
    if created is not None and created.get("job") != job_id:
        created = None
    return render_template("rooms/invites.html", job=job, created=created,
                           invites=invites.list_invites(user, job_id), can_manage=True)


@bp.post("/invites/<int:invite_id>/revoke")
@login_required
def revoke_invite(job_id: str, invite_id: int) -> Any:
    try:
        invites.revoke_invite(actor(), job_id, invite_id)
        flash("Invitation revoked; the link no longer works.", "info")
    except (Conflict, NotFound) as exc:
        flash(exc.message, "error")
    return redirect(url_for("rooms.invitations", job_id=job_id))



@bp.post("/members/<int:user_id>/admit")
@login_required
def admit_member(job_id: str, user_id: int) -> Any:
    """The agreement page's "Admit as client" button (services/members.py admit_client)."""
    try:
        admitted = members.admit_client(actor(), job_id, user_id)
    except (Conflict, NotFound) as exc:
        flash(exc.message, "error")
        return redirect(url_for("rooms.agreement", job_id=job_id))
    name = admitted["user"]["name"]
    if admitted["role"] == "client":
        flash(f"You admitted {name}; they are now a client of this job.", "success")
    else:
        missing = [f"{c['name']}'s admission" for c in admitted["waiting_for"]]
        if not admitted["accepted"]:
            missing.append("their acceptance of the terms in force")
        flash(f"You admitted {name}. They become a client after {' and '.join(missing)}.", "success")
    return redirect(url_for("rooms.agreement", job_id=job_id))


@bp.post("/members/<int:user_id>/remove")
@login_required
def remove_member(job_id: str, user_id: int) -> Any:
    try:
        event = members.remove_member(actor(), job_id, user_id)
        flash(f"{event['data']['user']['name']} was removed; they no longer see this job.", "info")
    except (Conflict, NotFound) as exc:
        flash(exc.message, "error")
    return redirect(url_for("rooms.invitations", job_id=job_id))
