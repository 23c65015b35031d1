"""Publishing the tasks of the flow after commit. A broker that is down is not lost work: the
sweepers (`captures_requeue_stuck`, `releases_requeue_missing`) re-publish."""

import logging

from ..tasks import dispatch_captures as dispatch_captures_task
from ..tasks import release_authorisation as release_authorisation_task

logger = logging.getLogger(__name__)


def dispatch_captures(order_ids) -> None:
    """Publish the per-order capture tasks through one task, so a bulk request returns at once."""
    try:
        dispatch_captures_task.apply_async(args=[list(order_ids)], retry=False)
    except Exception:  # noqa: BLE001 - any broker failure; the sweeper re-sends
        logger.warning("Broker unavailable; %s captures wait for the sweeper", len(order_ids))


def dispatch_releases(order_ids) -> None:
    for pk in order_ids:
        try:
            release_authorisation_task.apply_async(args=[pk], retry=False)
        except Exception:  # noqa: BLE001 - the sweeper in expire_overdue re-sends
            logger.warning("Broker unavailable; release of order %s waits for the sweeper", pk)
