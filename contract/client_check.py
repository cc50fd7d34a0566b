"""Calls the live server through a client generated from its OpenAPI document
(openapi-python-client): checks the token, pages through every response since a date and
incrementally by updated_since, in both orders, reads scores and clients, and downloads CSV.
Fails on any surprise.

usage: client_check.py BASE_URL TOKEN   (with the generated `pulse_client` on sys.path)
"""
import csv
import datetime
import io
import sys

from pulse_client import AuthenticatedClient
from pulse_client.api.auth import whoami
from pulse_client.api.data import export_feedback_csv, get_scores, list_clients, list_feedback
from pulse_client.models import FeedbackField, FeedbackPage, FeedbackSort, ScoreDimension, Scores
from pulse_client.types import UNSET, File


def pages(client, **params):
    """Every item of listFeedback with `params`, first page to last."""
    items, cursor = [], UNSET
    while True:
        page = list_feedback.sync(client=client, cursor=cursor, **params)
        assert isinstance(page, FeedbackPage), page
        items.extend(page.data)
        if not page.next_cursor:
            return items
        cursor = page.next_cursor


def main(base, token):
    client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)
    me = whoami.sync(client=client)
    assert token.startswith(me.token.prefix), me.token.prefix
    print(f"whoami: {me.organisation.slug} ({me.token.prefix}…)")

    for sort in (FeedbackSort.SUBMITTED_AT, FeedbackSort.UPDATED_AT):
        ids = [item.id for item in pages(client, limit=250, sort=sort)]
        assert ids and len(ids) == len(set(ids)), "every response once"
        print(f"feedback sort={sort.value}: {len(ids)} responses in {-(-len(ids) // 250)} pages")

    since = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=182)).strftime("%Y-%m-%d")
    recent = pages(client, since=since, limit=200)
    assert all(item.submitted_at.date().isoformat() >= since for item in recent)
    counted = get_scores.sync(client=client, since=since)
    assert isinstance(counted, Scores) and counted.overall.responses == len(recent), counted
    changes = pages(client, sort=FeedbackSort.UPDATED_AT, updated_since="1970-01-01", limit=1000)
    last = changes[-1].updated_at.isoformat()
    again = pages(client, sort=FeedbackSort.UPDATED_AT, updated_since=last)
    assert 0 < len(again) <= len(changes), (last, len(again))
    print(f"since {since}: {len(recent)} responses; incremental: {len(changes)}, then {len(again)}")

    # The generated client sends a list as a repeated parameter: the server reads it either way.
    group_by = [ScoreDimension.MONTH, ScoreDimension.CLIENT]
    scores = get_scores.sync(client=client, group_by=group_by)
    assert isinstance(scores, Scores), scores
    assert sum(g.responses for g in scores.groups) == scores.overall.responses == len(ids)
    assert all(g.period and g.client_name for g in scores.groups), scores.groups[:1]
    print(f"scores: NPS {scores.overall.nps} over {scores.overall.responses} responses, "
          f"{len(scores.groups)} month × client groups")

    clients = list_clients.sync(client=client)
    assert sum(c.responses for c in clients.data) == len(ids)
    print(f"clients: {len(clients.data)}")

    fields = [FeedbackField.ID, FeedbackField.SCORE]
    export = export_feedback_csv.sync(client=client, since=since, fields=fields, bom=True)
    assert isinstance(export, File), export
    raw = export.payload.read()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["id", "score"] and len(rows) - 1 == len(recent), (rows[0], len(rows))
    print(f"CSV download: {len(rows) - 1} rows of {rows[0]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
