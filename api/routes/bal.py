"""BAL rollouts: start a rollout job, read a stored rollout or the live one, publish it, and ask
why a team is in its round. The HTTP side only; what each route does is `api.services.bal`."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from api.deps import Admin, Db, Id, IfMatch, PlanReader, State, etag
from api.schemas import JobOut
from api.services import bal as service
from api.services.bal import RolloutOut, RolloutPublishRequest, RolloutRequest, RolloutVersionOut, WhyRoundOut

router = APIRouter(prefix="/bal", tags=["bal"])


@router.post("/rollouts", response_model=JobOut, status_code=202)
def start(body: RolloutRequest, db: Db, who: Admin, response: Response, state: State) -> JobOut:
    """Queue the rollout of a config version with a `bal:` section (422 without); poll
    `GET /jobs/{id}` for the draft rollout (`rollout_id`)."""
    job = service.start_rollout(db, who, state, body)
    response.headers["Location"] = f"/jobs/{job.id}"
    return job


@router.get("/rollouts/live", response_model=RolloutOut)
def read_live(
    db: Db,
    who: PlanReader,
    response: Response,
    config_name: str | None = Query(default=None, max_length=200, description="default: the newest config's"),
) -> RolloutOut:
    """The live rollout of a config name (404 before its first publish); a district leader sees
    their district's teams, staff the teams they facilitate."""
    out = service.read_live(db, who, config_name)
    etag(response, out.version)
    return out


@router.get("/rollouts/{rollout_id}", response_model=RolloutOut)
def read(rollout_id: Id, db: Db, who: PlanReader, response: Response) -> RolloutOut:
    """A stored rollout (draft, live or superseded), as much of it as the reader may see."""
    out = service.read(db, who, rollout_id)
    etag(response, out.version)
    return out


@router.post("/rollouts/{rollout_id}/publish", response_model=RolloutVersionOut)
def publish(
    rollout_id: Id, db: Db, who: Admin, version: IfMatch, body: RolloutPublishRequest | None = None
) -> RolloutVersionOut:
    """Make the rollout the live one of its config name; the one before is superseded. Term
    solves of the config then plan its course sessions and analyses. If-Match (optional): the
    rollout's ETag."""
    return service.publish(db, who, rollout_id, body or RolloutPublishRequest(), version)


@router.get("/rollouts/{rollout_id}/why/{team}", response_model=WhyRoundOut)
def why(rollout_id: Id, team: str, db: Db, who: PlanReader, state: State) -> WhyRoundOut:
    """'Hvorfor runde N?': why the team is in its round, in Danish (404 for an unknown team)."""
    return service.why(db, who, state, rollout_id, team)
