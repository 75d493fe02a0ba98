"""OpenAPI links: which response gives the ids another operation needs (a created job's id feeds every
job path, an invitation's token its accept, a payment's id its confirm). Clients and tools that follow
links (schemathesis' stateful tests among them) reach things that exist instead of guessing ids.
Every operation also gets an `operationId` (method and path), which links name."""
from __future__ import annotations

import re
from typing import Any

JOB = "$response.body#/job/id"


def operation_id(method: str, path: str) -> str:
    words = re.sub(r"[{}]", "", path).replace(".", "_").strip("/").replace("/", "_").replace("-", "_")
    return f"{method}_{words or 'root'}"


def _targets(paths: dict[str, Any], param: str, *, skip: str = "") -> list[tuple[str, str, str]]:
    """(operationId, path, method) of each operation taking `param` in its path."""
    return [(op["operationId"], path, method) for path, ops in paths.items() for method, op in ops.items()
            if f"{{{param}}}" in path and path != skip]


def _link(target: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": target, "parameters": parameters}


def _add(paths: dict[str, Any], path: str, method: str, status: str, links: dict[str, Any]) -> None:
    response = paths[path][method]["responses"][status]
    response.setdefault("links", {}).update(links)


def with_links(document: dict[str, Any]) -> dict[str, Any]:
    paths = document["paths"]
    for path, ops in paths.items():
        for method, op in ops.items():
            op.setdefault("operationId", operation_id(method, path))

    # A job (created, or the first of my jobs) feeds every path under /jobs/{job_id}.
    job_ops = _targets(paths, "job_id")
    _add(paths, "/jobs", "post", "201", {
        f"job_{target}": _link(target, job_id=JOB) for target, _p, _m in job_ops})
    _add(paths, "/jobs", "get", "200", {
        f"job_{target}": _link(target, job_id="$response.body#/jobs/0/id") for target, _p, _m in job_ops})

    # The job's milestones feed the milestone actions.
    for target, _path, _m in _targets(paths, "milestone_id"):
        _add(paths, "/jobs/{job_id}", "get", "200", {
            f"milestone_{target}": _link(target, milestone_id="$response.body#/job/milestones/0/id")})

    # An agreement version: read it and accept it with the exact hash.
    for status, path in (("201", "/jobs/{job_id}/agreements"),):
        _add(paths, path, "post", status, {
            "get_version": _link("get_jobs_job_id_agreements_version", job_id="$request.path.job_id",
                                 version="$response.body#/agreement/version"),
            "accept_version": {**_link("post_jobs_job_id_agreements_version_accept", job_id="$request.path.job_id",
                                       version="$response.body#/agreement/version"),
                               "requestBody": {"terms_hash": "$response.body#/agreement/terms_hash"}},
        })

    # Invitations: the link's token, and the invite's id for revoking it.
    _add(paths, "/jobs/{job_id}/invites", "post", "201", {
        "preview": _link("get_invites_token", token="$response.body#/invite/token"),
        "accept": _link("post_invites_token_accept", token="$response.body#/invite/token"),
        "revoke": _link("post_jobs_job_id_invites_invite_id_revoke", job_id="$request.path.job_id",
                        invite_id="$response.body#/invite/id"),
    })

    # A posted message can be edited and deleted.
    for target in ("patch_jobs_job_id_messages_message_id", "delete_jobs_job_id_messages_message_id"):
        _add(paths, "/jobs/{job_id}/messages", "post", "201", {
            target: _link(target, job_id="$request.path.job_id", message_id="$response.body#/event/data/message/id")})

    # A recorded payment can be confirmed, disputed, and (once confirmed) has a receipt.
    for target, _path, _m in _targets(paths, "payment_id"):
        _add(paths, "/jobs/{job_id}/payments", "post", "201", {
            target: _link(target, payment_id="$response.body#/payment/id")})

    # A token can be revoked.
    _add(paths, "/tokens", "post", "201", {
        "revoke": _link("delete_tokens_token_id", token_id="$response.body#/token_info/id")})
    return document

