"""Calls the live server through a client generated from its OpenAPI document
(openapi-python-client): checks the token, pages through every response with next_cursor,
and reads scores and clients. Fails on any surprise.

usage: client_check.py BASE_URL TOKEN   (with the generated `pulse_client` on sys.path)
"""
import sys

from pulse_client import AuthenticatedClient
from pulse_client.api.auth import whoami
from pulse_client.api.data import get_scores, list_clients, list_feedback
from pulse_client.models import FeedbackPage, GetScoresGroupByItem, ListFeedbackSort, Scores
from pulse_client.types import UNSET


def main(base, token):
    client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)
    me = whoami.sync(client=client)
    assert token.startswith(me.token.prefix), me.token.prefix
    print(f"whoami: {me.organisation.slug} ({me.token.prefix}…)")

    for sort in (ListFeedbackSort.SUBMITTED_AT, ListFeedbackSort.UPDATED_AT):
        ids, cursor = [], UNSET
        while True:
            page = list_feedback.sync(client=client, limit=250, cursor=cursor, sort=sort)
            assert isinstance(page, FeedbackPage), page
            ids.extend(item.id for item in page.data)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert ids and len(ids) == len(set(ids)), "every response once"
        print(f"feedback sort={sort.value}: {len(ids)} responses in {-(-len(ids) // 250)} pages")

    # The generated client sends a list as a repeated parameter: the server reads it either way.
    group_by = [GetScoresGroupByItem.MONTH, GetScoresGroupByItem.CLIENT]
    scores = get_scores.sync(client=client, group_by=group_by)
    assert isinstance(scores, Scores), scores
    assert sum(g.responses for g in scores.groups) == scores.overall.responses == len(ids)
    assert all(g.period and g.client_name for g in scores.groups), scores.groups[:1]
    print(f"scores: NPS {scores.overall.nps} over {scores.overall.responses} responses, "
          f"{len(scores.groups)} month × client groups")

    clients = list_clients.sync(client=client)
    assert sum(c.responses for c in clients.data) == len(ids)
    print(f"clients: {len(clients.data)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
