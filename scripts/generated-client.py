"""A Python client generated from /openapi.json by openapi-python-client, used as a developer
would: each list in each format through its own operation, each answer of the type promised.
Run by scripts/contract-fuzz with BASE_URL and the client's directory on sys.path."""

import csv
import io
import os
import sys

sys.path.insert(0, sys.argv[1])

from township_stats_client import Client  # noqa: E402
from township_stats_client.api.observations import (  # noqa: E402
    list_observations,
    list_observations_csv,
    list_observations_jsonstat,
)
from township_stats_client.api.places import get_place, list_places_csv  # noqa: E402
from township_stats_client.api.releases import list_releases  # noqa: E402
from township_stats_client.models import ListResponseObservationView  # noqa: E402

client = Client(base_url=os.environ["BASE_URL"], raise_on_unexpected_status=True)
town = "511903114"

page = list_observations.sync(client=client, place=town, limit=5)
assert isinstance(page, ListResponseObservationView), page
assert len(page.data) == 5 and page.meta.next_cursor, page
first = page.data[0]
assert first.value_decimal and first.quote, first

rows = list(csv.DictReader(io.StringIO(list_observations_csv.sync(client=client, place=town))))
assert len(rows) == page.meta.total, (len(rows), page.meta.total)
assert {"indicator_code", "value", "quote"} <= set(rows[0]), rows[0].keys()

dataset = list_observations_jsonstat.sync(client=client, place=town)
assert dataset["class"] == "dataset" and len(dataset["value"]) > 0, dataset.keys()

place = get_place.sync(client=client, code=town)
assert place.data.name_zh == "双胜镇", place

places = list(csv.DictReader(io.StringIO(list_places_csv.sync(client=client, parent=town))))
assert places and all(p["parent_code"] == town for p in places), places[:1]

releases = list_releases.sync(client=client)
assert releases.meta.total >= 1 and releases.data[0].id >= 1, releases

print(f"generated client: {len(page.data)} + {len(rows)} observations, {len(places)} places: ok")
