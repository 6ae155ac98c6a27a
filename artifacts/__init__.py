"""The contract between gatherers and audits (crawler → artifacts ← checks).

- ``artifacts.schema``: the artifact format, its versions and upgrades;
- ``artifacts.layout``: the subsections a gatherer looks for;
- ``artifacts.urls``: one identity of a URL for both sides;
- ``artifacts.patterns``: what feedback pages and channels look like (the gatherer follows
  such links, the audits judge what it fetched).

Depends on nothing else in sveden.
"""
